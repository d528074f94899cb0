//! `#[derive(Tags)]`: the `Tags` impl of a struct or an enum, each field
//! recorded as a tag named `name.field` through a key table joined once per
//! type and name (see the runtime's `tags/keys.rs`).

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Path, Token};

/// Fields past this many are checked against the secret names at each
/// record (the runtime's mask has this many bits).
const SECRET_MASK_BITS: usize = 48;

pub(crate) fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let container = ContainerOptions::of(&input.attrs)?;
    let mut table = KeyTable::default();
    let body = match &input.data {
        Data::Struct(data) => {
            let (pattern, writes) = fields(&data.fields, quote!(Self), &mut table)?;
            quote!(let #pattern = self; #writes)
        }
        Data::Enum(data) => {
            let mut arms = Vec::new();
            for variant in &data.variants {
                let options = VariantOptions::of(&variant.attrs)?;
                let ident = &variant.ident;
                let name = options.rename.unwrap_or_else(|| ident.unraw().to_string());
                let (pattern, writes) = fields(&variant.fields, quote!(Self::#ident), &mut table)?;
                arms.push(quote!(#pattern => { __tracekit_out.__variant(#name); #writes }));
            }
            if arms.is_empty() {
                quote!(match *self {})
            } else {
                quote!(match self { #(#arms)* })
            }
        }
        Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span,
                "#[derive(Tags)] works on structs and enums; a union's fields cannot be read safely (implement `Tags` by hand)",
            ));
        }
    };
    let krate = container
        .krate
        .map_or_else(|| quote!(::tracekit), |path| quote!(#path));
    let rename = container
        .prefix
        .map(|prefix| quote!(let __tracekit_out = &mut __tracekit_out.__renamed(#prefix);));
    let names = &table.names;
    let secret =
        (!names.is_empty()).then(|| quote!(let __tracekit_secret = __TRACEKIT_KEYS.secret_mask();));
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    let bounds = table.bounds(&input.generics);
    generics.make_where_clause().predicates.extend(bounds);
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        const _: () = {
            use #krate as __tracekit_crate;
            #[automatically_derived]
            impl #impl_generics __tracekit_crate::Tags for #ident #type_generics #where_clause {
                #[allow(unused_variables)]
                fn record_tags(&self, __tracekit_out: &mut __tracekit_crate::TagWriter<'_>) {
                    static __TRACEKIT_KEYS: __tracekit_crate::__private_0_1::KeyTable =
                        __tracekit_crate::__private_0_1::KeyTable::new(&[#(#names),*]);
                    #rename
                    let __tracekit_keys = __TRACEKIT_KEYS.keys(__tracekit_out.name());
                    #secret
                    #body
                }
            }
        };
    })
}

/// The key segments of a type's recorded fields, and how each field's
/// type is used (for the bounds of generic parameters).
#[derive(Default)]
struct KeyTable {
    names: Vec<String>,
    /// Each recorded field's type tokens, and the trait it must have.
    uses: Vec<(TokenStream, TokenStream)>,
}

impl KeyTable {
    fn add(&mut self, name: String) -> usize {
        self.names.push(name);
        self.names.len() - 1
    }

    /// `P: Trait` for each type parameter a field of that use names.
    fn bounds(&self, generics: &syn::Generics) -> Vec<syn::WherePredicate> {
        let mut bounds = Vec::new();
        for param in generics.type_params() {
            for (ty, bound) in &self.uses {
                if names_ident(ty.clone(), &param.ident) {
                    let ident = &param.ident;
                    let predicate: syn::WherePredicate = syn::parse_quote!(#ident: #bound);
                    if !bounds.contains(&predicate) {
                        bounds.push(predicate);
                    }
                }
            }
        }
        bounds
    }
}

fn names_ident(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(found) => found == *ident,
        TokenTree::Group(group) => names_ident(group.stream(), ident),
        _ => false,
    })
}

/// The pattern that binds `fields` of `path`, and the writes of each.
fn fields(
    fields: &Fields,
    path: TokenStream,
    table: &mut KeyTable,
) -> syn::Result<(TokenStream, TokenStream)> {
    let mut bindings = Vec::new();
    let mut writes = Vec::new();
    for (position, field) in fields.iter().enumerate() {
        // Spanned on the field, so an error about its type points there.
        let span = match &field.ident {
            Some(ident) => ident.span(),
            None => field.ty.span(),
        };
        let binding = format_ident!("__tracekit_field{}", position, span = span);
        let options = FieldOptions::of(&field.attrs)?;
        let member = match &field.ident {
            Some(ident) => quote!(#ident),
            None => {
                let index = syn::Index::from(position);
                quote!(#index)
            }
        };
        bindings.push(quote!(#member: #binding));
        let ty = &field.ty;
        let ty_tokens = quote!(#ty);
        let how = match options.how {
            How::Skip => continue,
            How::Flatten => {
                table.uses.push((ty_tokens, quote!(__tracekit_crate::Tags)));
                writes.push(quote_spanned!(span=> __tracekit_out.__flatten(#binding);));
                continue;
            }
            how => how,
        };
        let name = options.rename.unwrap_or_else(|| match &field.ident {
            Some(ident) => ident.unraw().to_string(),
            None => position.to_string(),
        });
        let index = table.add(name);
        let key = quote!(__tracekit_keys[#index]);
        let redacted = quote!(__tracekit_out.__redacted_at(#key););
        let write = match how {
            How::Redact => {
                writes.push(redacted);
                continue;
            }
            How::Debug => {
                table.uses.push((ty_tokens, quote!(::core::fmt::Debug)));
                quote_spanned!(span=> __tracekit_out.__debug_at(#key, #binding);)
            }
            How::Display => {
                table.uses.push((ty_tokens, quote!(::core::fmt::Display)));
                quote_spanned!(span=> __tracekit_out.__display_at(#key, #binding);)
            }
            _ => {
                table.uses.push((ty_tokens, quote!(__tracekit_crate::Tags)));
                quote_spanned!(span=> __tracekit_out.__at(#key, #binding);)
            }
        };
        // Under a secret name (the runtime's policy), `[redacted]`.
        let secret = if index < SECRET_MASK_BITS {
            let bit = 1u64 << index;
            quote!(__tracekit_secret & #bit != 0)
        } else {
            quote!(__TRACEKIT_KEYS.is_secret(#index))
        };
        writes.push(quote!(if #secret { #redacted } else { #write }));
    }
    let pattern = match fields {
        Fields::Named(_) => quote!(#path { #(#bindings,)* .. }),
        Fields::Unnamed(_) => quote!(#path { #(#bindings,)* .. }),
        Fields::Unit => quote!(#path),
    };
    Ok((pattern, quote!(#(#writes)*)))
}

/// How a field is recorded.
#[derive(Clone, Copy, PartialEq)]
enum How {
    Tags,
    Skip,
    Flatten,
    Redact,
    Debug,
    Display,
}

struct FieldOptions {
    how: How,
    rename: Option<String>,
}

impl FieldOptions {
    fn of(attrs: &[Attribute]) -> syn::Result<FieldOptions> {
        let mut options = FieldOptions {
            how: How::Tags,
            rename: None,
        };
        let mut how_set: Option<Ident> = None;
        for attr in tags_attrs(attrs) {
            attr.parse_args_with(|input: ParseStream| {
                each_option(input, |option, input| {
                    let how = match option.to_string().as_str() {
                        "skip" => How::Skip,
                        "flatten" => How::Flatten,
                        "redact" => How::Redact,
                        "debug" => How::Debug,
                        "display" => How::Display,
                        "rename" => {
                            let name = non_empty_name(option, input)?;
                            if options.rename.replace(name).is_some() {
                                return Err(syn::Error::new(option.span(), "`rename` is given twice"));
                            }
                            return Ok(());
                        }
                        other => {
                            return Err(syn::Error::new(
                                option.span(),
                                format!(
                                    "unknown field option `{other}`; expected one of skip, rename = \"..\", redact, debug, display, flatten"
                                ),
                            ));
                        }
                    };
                    if let Some(earlier) = &how_set {
                        return Err(syn::Error::new(
                            option.span(),
                            format!("`{option}` and `{earlier}` cannot both be given: a field is recorded one way"),
                        ));
                    }
                    options.how = how;
                    how_set = Some(option.clone());
                    Ok(())
                })
            })?;
        }
        if options.rename.is_some() && matches!(options.how, How::Skip | How::Flatten) {
            let how = how_set.expect("set with skip or flatten");
            return Err(syn::Error::new(
                how.span(),
                format!("`rename` names the field's tag; a `{how}` field has none"),
            ));
        }
        Ok(options)
    }
}

struct VariantOptions {
    rename: Option<String>,
}

impl VariantOptions {
    fn of(attrs: &[Attribute]) -> syn::Result<VariantOptions> {
        let mut rename = None;
        for attr in tags_attrs(attrs) {
            attr.parse_args_with(|input: ParseStream| {
                each_option(input, |option, input| match option.to_string().as_str() {
                    "rename" => {
                        rename = Some(non_empty_name(option, input)?);
                        Ok(())
                    }
                    other => Err(syn::Error::new(
                        option.span(),
                        format!("unknown variant option `{other}`; expected rename = \"..\""),
                    )),
                })
            })?;
        }
        Ok(VariantOptions { rename })
    }
}

struct ContainerOptions {
    prefix: Option<String>,
    krate: Option<Path>,
}

impl ContainerOptions {
    fn of(attrs: &[Attribute]) -> syn::Result<ContainerOptions> {
        let mut options = ContainerOptions {
            prefix: None,
            krate: None,
        };
        for attr in tags_attrs(attrs) {
            attr.parse_args_with(|input: ParseStream| {
                each_option(input, |option, input| match option.to_string().as_str() {
                    "prefix" => {
                        input.parse::<Token![=]>()?;
                        options.prefix = Some(input.parse::<LitStr>()?.value());
                        Ok(())
                    }
                    "crate" => {
                        input.parse::<Token![=]>()?;
                        options.krate = Some(input.parse()?);
                        Ok(())
                    }
                    other => Err(syn::Error::new(
                        option.span(),
                        format!(
                            "unknown option `{other}`; on the type: prefix = \"..\", crate = path"
                        ),
                    )),
                })
            })?;
        }
        Ok(options)
    }
}

fn tags_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("tags"))
}

/// Calls `one` for each comma-separated option of `input`.
fn each_option(
    input: ParseStream,
    mut one: impl FnMut(&Ident, ParseStream) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        let option = Ident::parse_any(input)?;
        one(&option, input)?;
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// `= ".."`, not empty.
fn non_empty_name(option: &Ident, input: ParseStream) -> syn::Result<String> {
    input.parse::<Token![=]>()?;
    let name: LitStr = input.parse()?;
    if name.value().is_empty() {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "`{option}` to an empty name; `#[tags(flatten)]` records a field's tags under the name of the value that holds it"
            ),
        ));
    }
    Ok(name.value())
}
