//! `#[traced]` on an `impl` block or an inline `mod`: every function in it
//! gets a `#[traced]` of its own, with the block's options under the
//! function's (which win, one by one), named `Type::method` in an impl
//! block. The per-function attributes expand after the block's
//! attributes, so `#[async_trait]` above or below this one works the
//! same: each method is traced as that macro leaves it.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, ImplItem, ItemImpl, ItemMod, LitStr, Type, Visibility};

use crate::args::Options;

pub(crate) fn expand(options: &Options, mut block: ItemImpl) -> syn::Result<TokenStream> {
    check_block_options(options)?;
    let type_name = type_name(&block.self_ty);
    let in_trait_impl = block.trait_.is_some();
    for item in &mut block.items {
        // Consts, types and macro calls are left alone.
        if let ImplItem::Fn(method) = item {
            let public = in_trait_impl || matches!(method.vis, Visibility::Public(_));
            let function = Item {
                attrs: &mut method.attrs,
                sig: &method.sig,
                public,
            };
            let name = |fn_name: &str| span_name(options.name.as_ref(), Some(&type_name), fn_name);
            trace(options, function, name)?;
        }
    }
    Ok(block.into_token_stream())
}

/// `#[traced]` on an inline module: every function in it is traced (named
/// as it is, or after the `name` option), and every impl block and nested
/// module gets the module's `#[traced]`. Traits, consts, macro calls and
/// the rest are left alone.
pub(crate) fn expand_module(options: &Options, mut module: ItemMod) -> syn::Result<TokenStream> {
    check_block_options(options)?;
    let Some((_, items)) = &mut module.content else {
        return Err(syn::Error::new(
            module.ident.span(),
            "#[traced] on a module needs its items here: put it on an inline `mod name { .. }`, or inside the file, on each impl block and function",
        ));
    };
    let krate = options.crate_path();
    let arguments = options.to_block_arguments();
    for item in items.iter_mut() {
        match item {
            syn::Item::Fn(function) => {
                let public = matches!(function.vis, Visibility::Public(_));
                let function = Item {
                    attrs: &mut function.attrs,
                    sig: &function.sig,
                    public,
                };
                let name = |fn_name: &str| span_name(options.name.as_ref(), None, fn_name);
                trace(options, function, name)?;
            }
            syn::Item::Impl(block) if !has_traced(&block.attrs) => {
                block
                    .attrs
                    .insert(0, syn::parse_quote!(#[#krate::traced(#arguments)]));
            }
            syn::Item::Mod(inner) if inner.content.is_some() && !has_traced(&inner.attrs) => {
                inner
                    .attrs
                    .insert(0, syn::parse_quote!(#[#krate::traced(#arguments)]));
            }
            _ => {}
        }
    }
    Ok(module.into_token_stream())
}

/// A function of a traced block or module: its attributes, signature, and
/// whether it counts as public for `pub_only`.
struct Item<'a> {
    attrs: &'a mut Vec<Attribute>,
    sig: &'a syn::Signature,
    public: bool,
}

/// Puts the `#[traced]` that `options` (under the function's own) make on
/// `function`, named by `name` unless it names itself; or leaves it
/// untraced (a `const fn`, a bare `skip`, `skip_methods`, `pub_only`).
fn trace(options: &Options, function: Item<'_>, name: impl Fn(&str) -> String) -> syn::Result<()> {
    if function.sig.constness.is_some() {
        return Ok(());
    }
    let own = take_own_options(function.attrs)?;
    let ident = &function.sig.ident;
    let fn_name = ident.to_string();
    let skipped = options
        .skip_methods
        .iter()
        .flat_map(|(_, names)| names)
        .any(|listed| *listed == fn_name);
    if skipped {
        if let Some(own) = &own {
            let mut error = syn::Error::new(
                ident.span(),
                format!(
                    "`{fn_name}` is in the block's `skip_methods`, and has a #[traced] of its own; remove one of the two"
                ),
            );
            error.combine(syn::Error::new_spanned(
                &own.meta,
                "this #[traced] asks to trace it",
            ));
            return Err(error);
        }
        return Ok(());
    }
    let own = match &own {
        // `#[traced]` alone has no arguments.
        Some(attr) if !matches!(attr.meta, syn::Meta::Path(_)) => attr.parse_args()?,
        _ => Options::default(),
    };
    if own.skip_method.is_some() {
        return Ok(());
    }
    check_method_options(&own)?;
    if options.pub_only.is_some() && !function.public {
        return Ok(());
    }
    let mut merged = options.under(own);
    if merged.name.is_none() {
        merged.name = Some(LitStr::new(&name(&fn_name), ident.span()));
    }
    let krate = merged.crate_path();
    let arguments = merged.to_arguments();
    function
        .attrs
        .insert(0, syn::parse_quote!(#[#krate::traced(#arguments)]));
    Ok(())
}

/// Whether `attrs` has a `#[traced]` (the item then says for itself).
fn has_traced(attrs: &[Attribute]) -> bool {
    attrs.iter().any(is_traced)
}

fn is_traced(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "traced")
}

/// The function's own `#[traced(..)]`, taken off it (its options go into
/// the attribute the block puts there).
fn take_own_options(attrs: &mut Vec<Attribute>) -> syn::Result<Option<Attribute>> {
    let mut own = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !is_traced(&attr) {
            kept.push(attr);
        } else if own.is_some() {
            return Err(syn::Error::new_spanned(
                &attr.meta,
                "#[traced] is given twice here",
            ));
        } else {
            own = Some(attr);
        }
    }
    *attrs = kept;
    Ok(own)
}

/// The block's name option: a format with `{type}` and `{method}`, or a
/// prefix (`prefix::method`); without one, `Type::method` in an impl
/// block, the function's name in a module.
fn span_name(name: Option<&LitStr>, type_name: Option<&str>, method: &str) -> String {
    match (name.map(LitStr::value), type_name) {
        (Some(format), _) if format.contains("{method}") || format.contains("{type}") => format
            .replace("{type}", type_name.unwrap_or_default())
            .replace("{method}", method),
        (Some(prefix), _) => format!("{prefix}::{method}"),
        (None, Some(type_name)) => format!("{type_name}::{method}"),
        (None, None) => method.to_owned(),
    }
}

/// The type's name without its path or generic parameters: `Inventory`
/// for `crate::shop::Inventory<T>`; for a trait impl, the type's, not the
/// trait's.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |segment| segment.ident.to_string()),
        Type::Reference(reference) => type_name(&reference.elem),
        Type::Paren(inner) => type_name(&inner.elem),
        Type::Group(inner) => type_name(&inner.elem),
        other => other
            .to_token_stream()
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    }
}

/// Options only a function takes make no sense on a block.
fn check_block_options(options: &Options) -> syn::Result<()> {
    if let Some(skip) = &options.skip_method {
        return Err(syn::Error::new(
            skip.span(),
            "a bare `skip` goes on a method, to leave it untraced; on the block, `skip_methods(a, b)` names the methods to leave out",
        ));
    }
    Ok(())
}

/// Options only a block takes, given on a method.
fn check_method_options(options: &Options) -> syn::Result<()> {
    if let Some(option) = options.block_only() {
        return Err(syn::Error::new(
            option.span(),
            format!("`{option}` goes on the impl block, not on a method"),
        ));
    }
    Ok(())
}

/// `block` as written, without its methods' `#[traced]`: what is emitted
/// beside an error, so the user sees that error and not one more per
/// method.
pub(crate) fn without_traced(mut block: ItemImpl) -> TokenStream {
    for item in &mut block.items {
        if let ImplItem::Fn(method) = item {
            // Only the attributes go; a second #[traced] is no error here.
            method.attrs.retain(|attr| !is_traced(attr));
        }
    }
    block.into_token_stream()
}
