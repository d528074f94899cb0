//! The annotated function: its signature, parsed, and its body, kept as the
//! user's tokens so error positions stay on user code and a body that does
//! not parse yet (while typing in an IDE) still expands.

use proc_macro2::{Group, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, FnArg, GenericArgument, Ident, Pat, PathArguments, ReturnType, Signature, Token,
    Type, TypeParamBound, Visibility,
};

/// `#[attrs] vis sig { body }`.
pub(crate) struct Function {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Group,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !input.peek(Token![fn]) && !looks_like_fn(input) {
            return Err(input.error(
                "#[traced] goes on a function (free, method or associated, sync or async) or on an impl block",
            ));
        }
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(syn::Error::new(
                sig.ident.span(),
                "#[traced] needs a function body; put it on the implementation, not on the declaration",
            ));
        }
        let body: Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace || !input.is_empty() {
            return Err(syn::Error::new(body.span(), "expected the function body"));
        }
        Ok(Function {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// Qualifiers that may precede `fn`: `const`, `async`, `unsafe`, `extern "C"`.
fn looks_like_fn(input: ParseStream) -> bool {
    let fork = input.fork();
    while fork.peek(Token![const])
        || fork.peek(Token![async])
        || fork.peek(Token![unsafe])
        || fork.peek(Token![extern])
        || fork.peek(syn::LitStr)
    {
        if fork.parse::<proc_macro2::TokenTree>().is_err() {
            return false;
        }
    }
    fork.peek(Token![fn])
}

/// A name a parameter binds, with the parameter's `#[cfg(..)]`
/// attributes: code that names it must be configured out with it.
pub(crate) struct Arg {
    pub ident: Ident,
    pub cfgs: Vec<Attribute>,
}

impl Function {
    /// The names bound by the parameters (not `self`), in order, with
    /// patterns walked: `(a, b): (u32, u32)` binds `a` and `b`.
    pub fn arg_names(&self) -> Vec<Ident> {
        self.args().into_iter().map(|arg| arg.ident).collect()
    }

    /// [`arg_names`](Self::arg_names) with each parameter's `cfg`s.
    pub fn args(&self) -> Vec<Arg> {
        let mut args = Vec::new();
        for input in &self.sig.inputs {
            if let FnArg::Typed(typed) = input {
                let cfgs: Vec<Attribute> = typed
                    .attrs
                    .iter()
                    .filter(|attr| attr.path().is_ident("cfg"))
                    .cloned()
                    .collect();
                let mut names = Vec::new();
                bound_names(&typed.pat, &mut names);
                args.extend(names.into_iter().map(|ident| Arg {
                    ident,
                    cfgs: cfgs.clone(),
                }));
            }
        }
        args
    }

    /// Whether the function returns `!`: its body never ends normally.
    pub fn diverges(&self) -> bool {
        matches!(self.return_type(), Some(Type::Never(_)))
    }

    /// Whether the function has `#[track_caller]`: its body must then run
    /// inline, not in a closure, for `Location::caller()` and panics to
    /// report the caller.
    pub fn tracks_caller(&self) -> bool {
        self.attrs
            .iter()
            .any(|attr| attr.path().is_ident("track_caller"))
    }

    /// The declared return type, if any.
    pub fn return_type(&self) -> Option<&Type> {
        match &self.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(ty),
        }
    }

    /// What the body evaluates to, which decides how the span is kept open.
    pub fn shape(&self) -> Shape {
        if self.sig.asyncness.is_some() {
            return Shape::AsyncFn;
        }
        match self.return_type() {
            Some(ty) if is_impl_future(ty) => Shape::ReturnsImplFuture,
            Some(ty) if is_boxed_future(ty) => Shape::ReturnsBoxedFuture,
            _ => Shape::Sync,
        }
    }
}

/// How the traced function produces its result.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A plain function: the span covers the call.
    Sync,
    /// `async fn`: the span starts at the call and covers the future.
    AsyncFn,
    /// `-> impl Future`: the span covers building and running the future.
    ReturnsImplFuture,
    /// `-> Pin<Box<dyn Future>>` (as `async-trait` emits) or `BoxFuture`.
    ReturnsBoxedFuture,
}

fn bound_names(pat: &Pat, names: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(ident) => {
            names.push(ident.ident.clone());
            if let Some((_, sub)) = &ident.subpat {
                bound_names(sub, names);
            }
        }
        Pat::Tuple(tuple) => tuple.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::TupleStruct(tuple) => tuple.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::Slice(slice) => slice.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::Struct(strukt) => strukt
            .fields
            .iter()
            .for_each(|f| bound_names(&f.pat, names)),
        Pat::Reference(reference) => bound_names(&reference.pat, names),
        Pat::Paren(paren) => bound_names(&paren.pat, names),
        Pat::Type(typed) => bound_names(&typed.pat, names),
        _ => {}
    }
}

/// The tag name of an argument: its identifier without `r#`.
pub(crate) fn tag_name(ident: &Ident) -> String {
    ident.unraw().to_string()
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == name))
}

fn has_future_bound<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> bool {
    bounds.any(|bound| {
        matches!(bound, TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
    })
}

/// `impl Future<Output = T> (+ Send + 'a)`.
fn is_impl_future(ty: &Type) -> bool {
    matches!(ty, Type::ImplTrait(imp) if has_future_bound(imp.bounds.iter()))
}

/// `Pin<Box<dyn Future<Output = T> + ..>>`, `BoxFuture<'a, T>`, `LocalBoxFuture<'a, T>`.
fn is_boxed_future(ty: &Type) -> bool {
    if last_segment_is(ty, "BoxFuture") || last_segment_is(ty, "LocalBoxFuture") {
        return true;
    }
    let Some(boxed) = only_type_argument(ty, "Pin") else {
        return false;
    };
    let Some(object) = only_type_argument(boxed, "Box") else {
        return false;
    };
    matches!(object, Type::TraitObject(obj) if has_future_bound(obj.bounds.iter()))
}

/// `T` of `Name<T>`.
fn only_type_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last().filter(|s| s.ident == name)?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Whether a type mentions `impl Trait` or `!`, which cannot annotate a `let`.
pub(crate) fn can_annotate_let(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().all(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) => ident != "impl",
            proc_macro2::TokenTree::Punct(punct) => punct.as_char() != '!',
            proc_macro2::TokenTree::Group(group) => walk(group.stream()),
            proc_macro2::TokenTree::Literal(_) => true,
        })
    }
    walk(quote::ToTokens::to_token_stream(ty))
}
