//! The options of `#[traced(..)]`, parsed into a typed model. Every error
//! points at the offending token and says what to write instead.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitBool, LitStr, Path, Token, parenthesized};

const OPTIONS: &str =
    "name, kind, skip, skip_all, args, tags, ret, err, hooks, root, child_of, follows_from, crate";

/// What an impl block's attribute adds.
const BLOCK_OPTIONS: &str = "skip_methods, pub_only";

/// The parsed attribute.
#[derive(Default)]
pub(crate) struct Options {
    pub name: Option<LitStr>,
    pub kind: Option<Ident>,
    pub skip: Option<(Ident, Vec<Ident>)>,
    pub skip_all: Option<Ident>,
    pub args: Option<(Ident, Vec<Ident>)>,
    pub tags: Vec<Tag>,
    pub ret: Option<Ident>,
    /// `err = false` turns off error recording.
    pub err: Option<LitBool>,
    pub hooks: Option<Path>,
    pub root: Option<Ident>,
    pub child_of: Option<(Ident, Expr)>,
    pub follows_from: Option<(Ident, Expr)>,
    /// `crate = path`: where generated code finds tracekit (default
    /// `::tracekit`), for crates that re-export it under another name.
    pub krate: Option<Path>,
    /// On an impl block: `skip_methods(a, b)` leaves these untraced.
    pub skip_methods: Option<(Ident, Vec<Ident>)>,
    /// On an impl block: `pub_only` traces only `pub` methods.
    pub pub_only: Option<Ident>,
    /// On a method of a traced impl block: a bare `skip` leaves it
    /// untraced.
    pub skip_method: Option<Ident>,
}

/// One `key = value` of `tags(..)`.
#[derive(Clone)]
pub(crate) struct Tag {
    pub key: String,
    pub key_span: Span,
    pub value: TagValue,
}

/// How a tag's value is recorded.
#[derive(Clone)]
pub(crate) enum TagValue {
    /// `key = "literal"`: borrowed, no copy.
    Literal(LitStr),
    /// `key = ?expr`: its `Debug`.
    Debug(Expr),
    /// `key = %expr`: its `Display`.
    Display(Expr),
    /// `key = expr`: a number, bool, string or `Option` of those.
    Value(Expr),
}

impl Options {
    /// Whether `Err` returns mark the span as failed (the default).
    pub fn records_errors(&self) -> bool {
        self.err.as_ref().is_none_or(LitBool::value)
    }

    /// The first option given that only an impl block or module takes
    /// (`skip_methods`, `pub_only`), if any.
    pub fn block_only(&self) -> Option<&Ident> {
        self.skip_methods
            .as_ref()
            .map(|(option, _)| option)
            .or(self.pub_only.as_ref())
    }

    /// Where generated code finds tracekit: `::tracekit`, or the path
    /// `crate = ..` gives for a crate that re-exports it.
    pub fn crate_path(&self) -> TokenStream {
        self.krate
            .as_ref()
            .map_or_else(|| quote!(::tracekit), ToTokens::to_token_stream)
    }

    /// The key names given in `tags(..)`.
    pub fn has_tag(&self, key: &str) -> bool {
        self.tags.iter().any(|tag| tag.key == key)
    }
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Options::default();
        while !input.is_empty() {
            let option = Ident::parse_any(input)?;
            options.parse_one(&option, input)?;
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(options)
    }
}

impl Options {
    fn parse_one(&mut self, option: &Ident, input: ParseStream) -> syn::Result<()> {
        match option.to_string().as_str() {
            "name" => {
                let name: LitStr =
                    value_after_eq(option, input, "a string: `name = \"db.query\"`")?;
                if name.value().is_empty() {
                    return Err(syn::Error::new(
                        name.span(),
                        "the span name must not be empty",
                    ));
                }
                set_once(&mut self.name, option, name)
            }
            "kind" => {
                let kind: Ident = value_after_eq(
                    option,
                    input,
                    "one of server, client, producer, consumer, internal: `kind = client`",
                )?;
                if !["server", "client", "producer", "consumer", "internal"]
                    .contains(&kind.to_string().as_str())
                {
                    return Err(syn::Error::new(
                        kind.span(),
                        format!(
                            "unknown span kind `{kind}`; expected one of server, client, producer, consumer, internal"
                        ),
                    ));
                }
                set_once(&mut self.kind, option, kind)
            }
            // A bare `skip`, on a method of a traced impl block: untraced.
            "skip" if !input.peek(syn::token::Paren) => flag(&mut self.skip_method, option, input),
            "skip" => {
                let names = ident_list(option, input, "`skip(password, body)`")?;
                set_once(&mut self.skip, option, (option.clone(), names))
            }
            "skip_methods" => {
                let names = ident_list(option, input, "`skip_methods(new, len)`")?;
                set_once(&mut self.skip_methods, option, (option.clone(), names))
            }
            "pub_only" => flag(&mut self.pub_only, option, input),
            "args" => {
                let names = ident_list(option, input, "`args(user_id, order_id)`")?;
                set_once(&mut self.args, option, (option.clone(), names))
            }
            "skip_all" => flag(&mut self.skip_all, option, input),
            "ret" => flag(&mut self.ret, option, input),
            "root" => flag(&mut self.root, option, input),
            "err" => {
                let value: LitBool = value_after_eq(option, input, "`err = false`")?;
                set_once(&mut self.err, option, value)
            }
            "hooks" => {
                let path: Path = value_after_eq(
                    option,
                    input,
                    "the path of a unit struct, const or static implementing `tracekit::Hooks`: `hooks = SqlHooks`",
                )?;
                set_once(&mut self.hooks, option, path)
            }
            "crate" => {
                let path: Path = value_after_eq(
                    option,
                    input,
                    "the path tracekit is re-exported at: `crate = my_sdk::tracekit`",
                )?;
                set_once(&mut self.krate, option, path)
            }
            "child_of" => {
                let expr: Expr =
                    value_after_eq(option, input, "an expression: `child_of = &parent`")?;
                set_once(&mut self.child_of, option, (option.clone(), expr))
            }
            "follows_from" => {
                let expr: Expr =
                    value_after_eq(option, input, "an expression: `follows_from = &cause`")?;
                set_once(&mut self.follows_from, option, (option.clone(), expr))
            }
            "tags" => {
                if !self.tags.is_empty() {
                    return Err(duplicate(option));
                }
                self.tags = tag_list(option, input)?;
                if self.tags.is_empty() {
                    return Err(syn::Error::new(
                        option.span(),
                        "`tags()` is empty; remove it or add `key = value` pairs",
                    ));
                }
                Ok(())
            }
            _ => Err(syn::Error::new(
                option.span(),
                format!(
                    "unknown option `{option}` of #[traced]; expected one of: {OPTIONS} (and on an impl block: {BLOCK_OPTIONS})"
                ),
            )),
        }
    }
}

fn duplicate(option: &Ident) -> syn::Error {
    syn::Error::new(
        option.span(),
        format!("duplicate option `{option}`; give it once"),
    )
}

fn set_once<T>(slot: &mut Option<T>, option: &Ident, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(duplicate(option));
    }
    *slot = Some(value);
    Ok(())
}

/// A bare flag such as `ret`: nothing may follow it but a comma.
fn flag(slot: &mut Option<Ident>, option: &Ident, input: ParseStream) -> syn::Result<()> {
    if !input.is_empty() && !input.peek(Token![,]) {
        return Err(input.error(format!("`{option}` takes no value; write just `{option}`")));
    }
    set_once(slot, option, option.clone())
}

/// `= value`, with an error that shows the expected form.
fn value_after_eq<T: Parse>(option: &Ident, input: ParseStream, expected: &str) -> syn::Result<T> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            option.span(),
            format!("`{option}` needs a value: {expected}"),
        ));
    }
    input.parse::<Token![=]>()?;
    input
        .parse::<T>()
        .map_err(|err| syn::Error::new(err.span(), format!("`{option}` expects {expected}")))
}

/// `(a, b, c)` of argument names.
fn ident_list(option: &Ident, input: ParseStream, example: &str) -> syn::Result<Vec<Ident>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            option.span(),
            format!("`{option}` takes a list of argument names: {example}"),
        ));
    }
    let content;
    parenthesized!(content in input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
    Ok(names.into_iter().collect())
}

/// `(key = value, dotted.key = ?expr, "literal.key" = %expr)`.
fn tag_list(option: &Ident, input: ParseStream) -> syn::Result<Vec<Tag>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            option.span(),
            "`tags` takes `key = value` pairs: `tags(db.system = \"postgresql\", rows = rows.len())`",
        ));
    }
    let content;
    parenthesized!(content in input);
    let mut tags: Vec<Tag> = Vec::new();
    while !content.is_empty() {
        let (key, key_span) = tag_key(&content)?;
        if tags.iter().any(|tag| tag.key == key) {
            return Err(syn::Error::new(
                key_span,
                format!("tag `{key}` is given twice"),
            ));
        }
        if !content.peek(Token![=]) {
            return Err(syn::Error::new(
                key_span,
                format!(
                    "tag `{key}` needs a value: `{key} = expr`, `{key} = ?expr` (Debug) or `{key} = %expr` (Display)"
                ),
            ));
        }
        content.parse::<Token![=]>()?;
        let value = if content.peek(Token![?]) {
            content.parse::<Token![?]>()?;
            TagValue::Debug(content.parse()?)
        } else if content.peek(Token![%]) {
            content.parse::<Token![%]>()?;
            TagValue::Display(content.parse()?)
        } else if content.peek(LitStr) && (content.peek2(Token![,]) || peek_end(&content)) {
            TagValue::Literal(content.parse()?)
        } else {
            TagValue::Value(content.parse()?)
        };
        tags.push(Tag {
            key,
            key_span,
            value,
        });
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(tags)
}

fn peek_end(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<LitStr>().is_ok() && fork.is_empty()
}

/// A tag key: `"any.text"` or dotted identifiers (keywords allowed).
fn tag_key(input: ParseStream) -> syn::Result<(String, Span)> {
    if input.peek(LitStr) {
        let key: LitStr = input.parse()?;
        if key.value().is_empty() {
            return Err(syn::Error::new(key.span(), "a tag key must not be empty"));
        }
        return Ok((key.value(), key.span()));
    }
    let first = Ident::parse_any(input).map_err(|err| {
        syn::Error::new(
            err.span(),
            "expected a tag key: `name`, `dotted.name` or \"any text\"",
        )
    })?;
    let span = first.span();
    let mut key = first.unraw().to_string();
    while input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        key.push('.');
        key.push_str(&Ident::parse_any(input)?.unraw().to_string());
    }
    Ok((key, span))
}

impl ToTokens for TagValue {
    /// The value as an `Option<tracekit::TagValue>` expression.
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            TagValue::Literal(lit) => {
                quote!(::core::option::Option::Some(__tracekit_crate::TagValue::from(#lit)))
            }
            // Formatted only up to the tag length limit.
            TagValue::Debug(expr) => {
                quote!(__tracekit_crate::__private_0_1::format_cut(
                    ::core::format_args!("{:?}", #expr),
                    __tracekit_limit,
                ))
            }
            TagValue::Display(expr) => {
                quote!(__tracekit_crate::__private_0_1::format_cut(
                    ::core::format_args!("{}", #expr),
                    __tracekit_limit,
                ))
            }
            // Spanned on the expression, so a type that is not `ToTag` is reported there.
            TagValue::Value(expr) => {
                quote_spanned!(expr.span()=> __tracekit_crate::ToTag::to_tag_within(&(#expr), __tracekit_limit))
            }
        });
    }
}

impl Options {
    /// These options merged under `method`'s, which win one by one: a
    /// method's `skip`, `skip_all` or `args` replaces all three of the
    /// block's, its `root` or `child_of` both of the block's; tags are
    /// joined, the method's winning for a key. What an impl block's
    /// methods are expanded with.
    pub fn under(&self, method: Options) -> Options {
        let mut merged = method;
        let picks_args =
            merged.skip.is_some() || merged.skip_all.is_some() || merged.args.is_some();
        if !picks_args {
            merged.skip = self.skip.clone();
            merged.skip_all = self.skip_all.clone();
            merged.args = self.args.clone();
        }
        let picks_parent = merged.root.is_some() || merged.child_of.is_some();
        if !picks_parent {
            merged.root = self.root.clone();
            merged.child_of = self.child_of.clone();
        }
        for tag in &self.tags {
            if !merged.has_tag(&tag.key) {
                merged.tags.push(tag.clone());
            }
        }
        merged.kind = merged.kind.or_else(|| self.kind.clone());
        merged.ret = merged.ret.or_else(|| self.ret.clone());
        merged.err = merged.err.or_else(|| self.err.clone());
        merged.hooks = merged.hooks.or_else(|| self.hooks.clone());
        merged.follows_from = merged.follows_from.or_else(|| self.follows_from.clone());
        merged.krate = merged.krate.or_else(|| self.krate.clone());
        merged
    }

    /// The options a module hands to the impl blocks and modules in it:
    /// all of them, the block-only ones included.
    pub fn to_block_arguments(&self) -> TokenStream {
        let mut arguments = self.to_arguments();
        let mut extra: Vec<TokenStream> = Vec::new();
        if let Some((option, names)) = &self.skip_methods {
            extra.push(quote!(#option(#(#names),*)));
        }
        if let Some(pub_only) = &self.pub_only {
            extra.push(quote!(#pub_only));
        }
        for part in extra {
            if !arguments.is_empty() {
                arguments.extend(quote!(,));
            }
            arguments.extend(part);
        }
        arguments
    }

    /// The options as attribute arguments again, for the attribute an
    /// impl block puts on each method (the spans of the user's tokens
    /// kept, so errors point where they were written).
    pub fn to_arguments(&self) -> TokenStream {
        let mut parts: Vec<TokenStream> = Vec::new();
        if let Some(name) = &self.name {
            parts.push(quote!(name = #name));
        }
        if let Some(kind) = &self.kind {
            parts.push(quote!(kind = #kind));
        }
        for (option, names) in [&self.skip, &self.args].into_iter().flatten() {
            parts.push(quote!(#option(#(#names),*)));
        }
        for flag in [&self.skip_all, &self.ret, &self.root]
            .into_iter()
            .flatten()
        {
            parts.push(quote!(#flag));
        }
        if let Some(err) = &self.err {
            parts.push(quote!(err = #err));
        }
        if let Some(hooks) = &self.hooks {
            parts.push(quote!(hooks = #hooks));
        }
        for (option, expr) in [&self.child_of, &self.follows_from].into_iter().flatten() {
            parts.push(quote!(#option = #expr));
        }
        if !self.tags.is_empty() {
            let tags = self.tags.iter().map(|tag| {
                let key = LitStr::new(&tag.key, tag.key_span);
                let value = match &tag.value {
                    TagValue::Literal(lit) => quote!(#lit),
                    TagValue::Debug(expr) => quote!(?#expr),
                    TagValue::Display(expr) => quote!(%#expr),
                    TagValue::Value(expr) => quote!(#expr),
                };
                quote!(#key = #value)
            });
            parts.push(quote!(tags(#(#tags),*)));
        }
        if let Some(krate) = &self.krate {
            parts.push(quote!(crate = #krate));
        }
        quote!(#(#parts),*)
    }
}
