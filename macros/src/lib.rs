//! The `#[traced]` attribute of tracekit. Use it through the `tracekit`
//! crate, whose documentation describes every option.

mod args;
mod block;
mod early_exit;
mod expand;
mod function;
mod tags;
mod validate;

use proc_macro::TokenStream;

/// Writes the `Tags` impl of a struct or an enum: each field recorded as a
/// span tag named `name.field`. See the `tracekit` crate for the options.
#[proc_macro_derive(Tags, attributes(tags))]
pub fn derive_tags(item: TokenStream) -> TokenStream {
    syn::parse::<syn::DeriveInput>(item)
        .and_then(tags::derive)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Runs each call of the function in a span. See the `tracekit` crate for
/// the options and examples.
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    // The item's keyword, read without parsing a function's body (most
    // items are functions, and a body is most of the work).
    let keyword = item_keyword(&original);
    let traced = match keyword.as_ref().map(|(word, span)| (word.as_str(), *span)) {
        Some(("impl", _)) => syn::parse::<syn::ItemImpl>(item).and_then(|block| {
            let options = syn::parse::<args::Options>(args)?;
            block::expand(&options, block)
        }),
        Some(("mod", _)) => syn::parse::<syn::ItemMod>(item).and_then(|module| {
            let options = syn::parse::<args::Options>(args)?;
            block::expand_module(&options, module)
        }),
        Some(("trait", span)) => Err(syn::Error::new(
            span,
            "#[traced] goes on the impl of a trait (every method of it is then traced), not on the trait's definition",
        )),
        // A function, or something that does not parse yet (a body being
        // typed): the function's own parser says what is wrong.
        _ => syn::parse::<function::Function>(item).and_then(|function| {
            let options = syn::parse::<args::Options>(args)?;
            validate::check(&options, &function)?;
            Ok(expand::expand(&options, function))
        }),
    };
    match traced {
        Ok(expanded) => expanded.into(),
        // The function as written stays, so the user sees one error, not a
        // cascade of "cannot find function" errors at every call.
        Err(err) => {
            let mut out = err.to_compile_error();
            match keyword.as_ref().map(|(word, _)| word.as_str()) {
                // An impl block without its methods' attributes, so they add
                // no errors of their own.
                Some("impl") => match syn::parse2::<syn::ItemImpl>(original.clone()) {
                    Ok(block) => out.extend(block::without_traced(block)),
                    Err(_) => out.extend(original),
                },
                _ => out.extend(original),
            }
            out.into()
        }
    }
}

/// The first keyword of an item past its attributes, visibility and
/// qualifiers: `fn`, `impl`, `trait`, `struct`, ...
fn item_keyword(item: &proc_macro2::TokenStream) -> Option<(String, proc_macro2::Span)> {
    use proc_macro2::TokenTree;
    let mut tokens = item.clone().into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            // `#[..]`: an attribute.
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                tokens.next();
            }
            TokenTree::Ident(ident) => {
                let word = ident.to_string();
                match word.as_str() {
                    "pub" => {
                        // `pub(crate)` and the like.
                        if let Some(TokenTree::Group(_)) = tokens.peek() {
                            tokens.next();
                        }
                    }
                    "unsafe" | "default" | "const" | "async" | "extern" | "auto" => {}
                    _ => return Some((word, ident.span())),
                }
            }
            // `extern "C"`'s ABI.
            TokenTree::Literal(_) => {}
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    /// Generated code names `__tracekit_crate::__private_{major}_{minor}`
    /// (the crate's alias in each traced function): the
    /// name moves with the version, so a runtime of another version fails
    /// to compile the code loudly.
    #[test]
    fn the_private_module_named_in_generated_code_is_this_versions() {
        let stamp = format!(
            "__private_{}_{}",
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        for source in [
            include_str!("expand.rs"),
            include_str!("args.rs"),
            include_str!("tags.rs"),
            include_str!("early_exit.rs"),
        ] {
            for (at, _) in source.match_indices("__tracekit_crate::__private") {
                let named = &source[at + "__tracekit_crate::".len()..];
                assert!(named.starts_with(&format!("{stamp}::")), "{}", &named[..30]);
            }
        }
    }
}
