//! Code generation. The expanded function:
//!
//! 1. keeps its call-site facts in a `static` (built once);
//! 2. when a tracer is installed (one relaxed load otherwise), starts the
//!    span and, only if it records, evaluates `tags(..)` and the arguments
//!    and runs `before_call`;
//! 3. runs the user's body, untouched, in a closure (sync) or an `async move`
//!    block (async) under the span, and records the outcome.
//!
//! A sync call with nothing to record before its body (no arguments, or
//! `skip_all`; no `tags(..)`, no references) hands its body to the runtime
//! in one call that does 2 and 3 (`TracedCall::run_whole`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Pat, PatIdent, Type};

use crate::args::Options;
use crate::function::{Arg, Function, Shape, can_annotate_let, tag_name};

pub(crate) fn expand(options: &Options, mut function: Function) -> TokenStream {
    let shape = function.shape();
    let site = call_site(options, &function);
    let reader = outcome_reader(options, &function);
    // `_reading` with the closure that reads the outcome, if there is one.
    let (reading, finish) = match &reader {
        Some(reader) => (quote!(_reading), quote!(, #reader)),
        None => (quote!(), quote!()),
    };
    let run_sync = format_ident!("run_sync{}", reading.to_string());
    let run_future = format_ident!("run_future{}", reading.to_string());
    let run_async = format_ident!("run_async{}", reading.to_string());
    let hint = function.return_type().and_then(return_hint);
    let body = &function.body;
    // A sync call that records nothing before its body runs whole in the
    // runtime: one call, and no handle between the start and the body.
    let whole = shape == Shape::Sync
        && !function.tracks_caller()
        && records_nothing_first(options, &function);
    let start = (!whole).then(|| start_span(options, &function));
    let sync_body = if function.diverges() {
        // A closure declared `-> !` lets the call have the type `!` too.
        quote!(let __tracekit_body = __tracekit_crate::__private_0_1::once(move || -> ! #body);)
    } else {
        quote! {
            #[allow(unused_braces)]
            let __tracekit_body = __tracekit_crate::__private_0_1::once(move || { #hint #body });
        }
    };
    let sync_run = if whole {
        let run_whole = format_ident!("run_whole{}", reading.to_string());
        quote!(__tracekit_crate::__private_0_1::TracedCall::#run_whole(&__TRACEKIT_SITE, __tracekit_body #finish))
    } else {
        quote!(__tracekit.#run_sync(&__TRACEKIT_SITE, __tracekit_body #finish))
    };
    let run = match shape {
        Shape::Sync if function.tracks_caller() => run_inline(&function, reader.as_ref()),
        Shape::Sync => quote!(#sync_body #sync_run),
        Shape::ReturnsImplFuture => quote! {
            #[allow(unused_braces)]
            let __tracekit_body = __tracekit_crate::__private_0_1::once(move || #body);
            __tracekit.#run_future(__tracekit_body #finish)
        },
        Shape::ReturnsBoxedFuture => quote! {
            #[allow(unused_braces)]
            let __tracekit_body = __tracekit_crate::__private_0_1::once(move || { #hint #body });
            ::std::boxed::Box::pin(__tracekit.#run_future(__tracekit_body #finish))
        },
        Shape::AsyncFn => {
            let keep_alive = make_future_returning(&mut function);
            let body = &function.body;
            quote! {
                #[allow(unused_braces)]
                let __tracekit_future = async move {
                    #(#keep_alive)*
                    #hint
                    #body
                };
                __tracekit.#run_async(__tracekit_future #finish)
            }
        }
    };
    let Function {
        attrs, vis, sig, ..
    } = &function;
    // Generated code names the crate through this alias.
    let krate = options.crate_path();
    quote! {
        #(#attrs)*
        #vis #sig {
            use #krate as __tracekit_crate;
            #site
            #start
            #run
        }
    }
}

/// Whether a call has nothing to do between its span's start and its body:
/// no references to pass, no tags or arguments to record.
fn records_nothing_first(options: &Options, function: &Function) -> bool {
    options.root.is_none()
        && options.child_of.is_none()
        && options.follows_from.is_none()
        && options.tags.is_empty()
        && recorded_args(options, function).is_empty()
}

/// The body of a `#[track_caller]` function, run inline rather than in a
/// closure (a closure would be the caller `Location::caller()` and panics
/// report). A guard ends the span however the body ends; the value the
/// body ends with, or leaves with through `return` or `?`, is read.
fn run_inline(function: &Function, reader: Option<&TokenStream>) -> TokenStream {
    let reader = reader.map_or_else(
        || quote!(|_| __tracekit_crate::__private_0_1::Finish::default()),
        ToTokens::to_token_stream,
    );
    let body = &function.body;
    let start = quote! {
        let __tracekit_call = __tracekit.run_inline(&__TRACEKIT_SITE);
    };
    if function.diverges() {
        return quote! { #start #body };
    }
    let annotation = function
        .return_type()
        .filter(|ty| can_annotate_let(ty))
        .map(|ty| quote!(: #ty));
    // Its `return`s and `?`s leave through a labeled block, so the value
    // they leave with is read too.
    let body = match crate::early_exit::rewritten(body) {
        Some(block) => {
            let label = syn::Lifetime::new(crate::early_exit::LABEL, Span::call_site());
            quote!(#label: #block)
        }
        None => quote!(#body),
    };
    quote! {
        #start
        #[allow(unused_braces)]
        let __tracekit_out #annotation = #body;
        __tracekit_call.returned(&__tracekit_out, #reader);
        __tracekit_out
    }
}

/// The `static` holding what never changes between calls.
fn call_site(options: &Options, function: &Function) -> TokenStream {
    let ident = &function.sig.ident;
    let function_name = tag_name(ident);
    let span_name = options
        .name
        .as_ref()
        .map_or_else(|| function_name.clone(), syn::LitStr::value);
    let kind = match options.kind.as_ref().map(ToString::to_string).as_deref() {
        Some("server") => quote!(Server),
        Some("client") => quote!(Client),
        Some("producer") => quote!(Producer),
        Some("consumer") => quote!(Consumer),
        _ => quote!(Internal),
    };
    let hooks = match &options.hooks {
        // Spanned on the path, so a type that is not `Hooks` is reported there.
        Some(path) => quote_spanned!(path.span()=> ::core::option::Option::Some(&#path)),
        None => quote!(::core::option::Option::None),
    };
    // `line!()` spanned on the function's name reports the line of the `fn`.
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let args: Vec<String> = recorded_args(options, function)
        .iter()
        .map(|arg| tag_name(&arg.ident))
        .collect();
    quote! {
        static __TRACEKIT_SITE: __tracekit_crate::__private_0_1::CallSite = __tracekit_crate::__private_0_1::CallSite {
            function: #function_name,
            name: #span_name,
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: #line,
            kind: __tracekit_crate::SpanKind::#kind,
            hooks: #hooks,
            args: &[#(#args),*],
            secret_args: __tracekit_crate::__private_0_1::SecretNames::new(),
        };
    }
}

/// `let __tracekit = ..;`: the span started, tags and arguments recorded.
fn start_span(options: &Options, function: &Function) -> TokenStream {
    // A synchronous call's span stays on its thread: it can live on the
    // thread's scope stack (no allocation, no lock).
    let (handle, disabled, site) = match function.shape() {
        Shape::Sync => (
            quote!(TracedCall),
            quote!(__tracekit_crate::__private_0_1::TracedCall::disabled()),
            Some(quote!(&__TRACEKIT_SITE,)),
        ),
        Shape::AsyncFn | Shape::ReturnsImplFuture | Shape::ReturnsBoxedFuture => (
            quote!(Traced),
            quote!(__tracekit_crate::__private_0_1::Traced::disabled(
                &__TRACEKIT_SITE
            )),
            None,
        ),
    };
    let parent = match (&options.root, &options.child_of) {
        (Some(_), _) => Some(quote!(__tracekit_crate::__private_0_1::Parent::Of(
            ::core::option::Option::None
        ))),
        (None, Some((_, expr))) => {
            let parent = as_parent(expr);
            Some(quote!(__tracekit_crate::__private_0_1::Parent::Of(#parent)))
        }
        (None, None) => None,
    };
    let follows_from = options
        .follows_from
        .as_ref()
        .map(|(_, expr)| as_parent(expr));
    // The common call names no reference: nothing is built or passed.
    let references = if parent.is_none() && follows_from.is_none() {
        quote!(::core::option::Option::None)
    } else {
        let parent =
            parent.unwrap_or_else(|| quote!(__tracekit_crate::__private_0_1::Parent::Active));
        let follows_from = follows_from.unwrap_or_else(|| quote!(::core::option::Option::None));
        quote! {
            ::core::option::Option::Some(&mut __tracekit_crate::__private_0_1::References {
                parent: #parent,
                follows_from: #follows_from,
            })
        }
    };
    let tags: Vec<TokenStream> = options
        .tags
        .iter()
        .map(|tag| {
            let key = syn::LitStr::new(&tag.key, tag.key_span);
            let value = &tag.value;
            quote!(__tracekit_args.tag(#key, #value);)
        })
        .collect();
    let args: Vec<RecordedArg> = recorded_args(options, function)
        .into_iter()
        .enumerate()
        .map(|(index, Arg { ident, cfgs })| {
            let name = tag_name(&ident);
            // Under a secret name (the runtime's policy, decided once per
            // call site), the probe records `[redacted]`.
            let write = quote! {
                (&&&&__tracekit_crate::__private_0_1::probe::Probe(&#ident))
                    .__tracekit_record(#name, #index, __tracekit_args);
            };
            RecordedArg { write, cfgs }
        })
        .collect();
    let record = record(site.as_ref(), &tags, &args);
    quote! {
        let __tracekit = if __tracekit_crate::__private_0_1::enabled() {
            let __tracekit = __tracekit_crate::__private_0_1::#handle::start(
                &__TRACEKIT_SITE,
                #references,
            );
            if __tracekit.is_recording() {
                #record
            }
            __tracekit
        } else {
            #disabled
        };
    }
}

/// An argument to record: the statement that writes it into the call's
/// tags, and its parameter's `cfg`s.
struct RecordedArg {
    write: TokenStream,
    cfgs: Vec<syn::Attribute>,
}

/// The context a `child_of` / `follows_from` value names; spanned on the
/// value, so a value of the wrong type is reported there.
fn as_parent(expr: &syn::Expr) -> TokenStream {
    quote_spanned!(expr.span()=> __tracekit_crate::AsParent::as_parent(&(#expr)))
}

/// Records the `tags(..)` and the arguments: each value is written
/// straight into the call's tag vector (each probe emitted once), where the
/// `before_call` hooks, if there are any, see the arguments before they
/// become the span's tags. A panic in a user's formatter there is noted on
/// the span, not raised: tracing must not change what the function does. A
/// call with nothing to record only runs the hooks.
fn record(site: Option<&TokenStream>, tags: &[TokenStream], args: &[RecordedArg]) -> TokenStream {
    if tags.is_empty() && args.is_empty() {
        return quote!(__tracekit.before_call(#site););
    }
    let count = tags.len() + args.len();
    // `tags(..)` values are cut at the limit as they are built.
    let limit = (!tags.is_empty()).then(|| quote!(let __tracekit_limit = __tracekit_args.limit();));
    let writes = args
        .iter()
        .map(|RecordedArg { write, cfgs }| quote!(#(#cfgs)* #write));
    quote! {
        __tracekit.record(#site #count, &mut |__tracekit_args: &mut __tracekit_crate::__private_0_1::ArgTags| {
            #[allow(unused_imports)]
            use __tracekit_crate::__private_0_1::probe::*;
            #limit
            #(#tags)*
            #(#writes)*
        });
    }
}

/// The arguments to record, after `skip`, `skip_all` and `args`.
fn recorded_args(options: &Options, function: &Function) -> Vec<Arg> {
    if options.skip_all.is_some() {
        return Vec::new();
    }
    // An argument named as a key in `tags(..)` is recorded there, as written.
    let args = function
        .args()
        .into_iter()
        .filter(|arg| !options.has_tag(&tag_name(&arg.ident)));
    match (&options.args, &options.skip) {
        (Some((_, only)), _) => args.filter(|a| only.contains(&a.ident)).collect(),
        (None, Some((_, skipped))) => args.filter(|a| !skipped.contains(&a.ident)).collect(),
        (None, None) => args.collect(),
    }
}

/// The closure that reads the outcome from the returned value, if there
/// is anything to read.
fn outcome_reader(options: &Options, function: &Function) -> Option<TokenStream> {
    // Without a declared return type, or with one that cannot hold an
    // `Err`, there is no `Err` to find, and a body that only panics would
    // leave nothing for the probe to infer from.
    let may_return_err =
        !function.diverges() && function.return_type().is_some_and(|ty| !never_an_error(ty));
    let error = (options.records_errors() && may_return_err).then(|| {
        quote!((&&&__tracekit_crate::__private_0_1::probe::Probe(__tracekit_out)).__tracekit_err())
    });
    let ret = options.ret.as_ref().map(|_| {
        quote!((&&&&__tracekit_crate::__private_0_1::probe::Probe(__tracekit_out)).__tracekit_ret())
    });
    if error.is_none() && ret.is_none() {
        return None;
    }
    let error = error.unwrap_or_else(|| quote!(::core::option::Option::None));
    let ret =
        ret.unwrap_or_else(|| quote!(::core::result::Result::Ok(::core::option::Option::None)));
    Some(quote! {
        |__tracekit_out| {
            #[allow(unused_imports)]
            use __tracekit_crate::__private_0_1::probe::*;
            __tracekit_crate::__private_0_1::Finish::of(#error, #ret)
        }
    })
}

/// Whether a return type can hold no `Err`: a primitive, `String`, `&str`
/// or `()`, written as such. Such a call then has no outcome reader, and
/// the runtime skips reading its value. (A type alias that shadows one of
/// these names with a `Result` loses its errors' tags: no code does that.)
fn never_an_error(ty: &Type) -> bool {
    const NAMES: &[&str] = &[
        "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
        "i128", "isize", "f32", "f64", "String",
    ];
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .get_ident()
            .is_some_and(|ident| NAMES.iter().any(|name| ident == name)),
        Type::Reference(reference) => {
            matches!(&*reference.elem, Type::Path(path) if path.path.is_ident("str"))
        }
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(inner) => never_an_error(&inner.elem),
        _ => false,
    }
}

/// A dead `return` of the declared type: it makes `?` and coercions in the
/// body infer as they would in the function itself.
fn return_hint(ty: &Type) -> Option<TokenStream> {
    can_annotate_let(ty).then(|| {
        quote! {
            #[allow(
                unknown_lints,
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::let_with_type_underscore,
                clippy::needless_return,
                clippy::unreachable
            )]
            if false {
                let __tracekit_return: #ty = loop {};
                return __tracekit_return;
            }
        }
    })
}

/// Turns `async fn f(..) -> T` into `fn f(..) -> impl Future<Output = T>`,
/// so the span starts (and finds its parent) when the function is called,
/// not when the future is first polled. Returns the statements that make
/// the future hold every argument until it completes, as an `async fn`'s
/// future does.
fn make_future_returning(function: &mut Function) -> Vec<TokenStream> {
    let sig = &mut function.sig;
    sig.asyncness = None;
    let output = match &sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    sig.output = syn::parse_quote!(-> impl ::core::future::Future<Output = #output>);
    let mut keep_alive = Vec::new();
    for (i, input) in sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(_) => keep_alive.push(hold(&[], quote!(self))),
            FnArg::Typed(typed) => {
                if matches!(*typed.pat, Pat::Wild(_)) {
                    // `_` would drop the value at the call; name it to keep it.
                    let ident = format_ident!("__tracekit_arg{}", i, span = Span::call_site());
                    *typed.pat = Pat::Ident(PatIdent {
                        attrs: Vec::new(),
                        by_ref: None,
                        mutability: None,
                        ident: ident.clone(),
                        subpat: None,
                    });
                }
            }
        }
    }
    keep_alive.extend(
        function
            .args()
            .into_iter()
            .map(|Arg { ident, cfgs }| hold(&cfgs, quote!(#ident))),
    );
    keep_alive
}

/// The statement that makes the future hold `name` (under its `cfg`s).
fn hold(cfgs: &[syn::Attribute], name: TokenStream) -> TokenStream {
    quote! {
        #(#cfgs)*
        #[allow(clippy::no_effect_underscore_binding)]
        let _ = &#name;
    }
}

#[cfg(test)]
mod tests {
    use super::never_an_error;

    #[test]
    fn only_types_that_cannot_hold_an_err_go_without_a_reader() {
        for ty in ["u64", "String", "&str", "&'a str", "()", "bool", "(f64)"] {
            let ty: syn::Type = syn::parse_str(ty).expect("a type");
            assert!(never_an_error(&ty), "{}", quote::quote!(#ty));
        }
        for ty in [
            "Result<u64, E>",
            "io::Result<()>",
            "Option<u8>",
            "T",
            "Self",
            "std::string::String",
            "&String",
            "(u8, u8)",
            "Box<dyn std::error::Error>",
        ] {
            let ty: syn::Type = syn::parse_str(ty).expect("a type");
            assert!(!never_an_error(&ty), "{}", quote::quote!(#ty));
        }
    }
}
