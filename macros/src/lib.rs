//! The `#[traced]` attribute of tracekit. Use it through the `tracekit`
//! crate, whose documentation describes every option.

mod args;
mod expand;
mod function;
mod validate;

use proc_macro::TokenStream;

/// Runs each call of the function in a span. See the `tracekit` crate for
/// the options and examples.
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    let traced = syn::parse::<function::Function>(item).and_then(|function| {
        let options = syn::parse::<args::Options>(args)?;
        validate::check(&options, &function)?;
        Ok(expand::expand(&options, function))
    });
    match traced {
        Ok(expanded) => expanded.into(),
        // The function as written stays, so the user sees one error, not a
        // cascade of "cannot find function" errors at every call.
        Err(err) => {
            let mut out = err.to_compile_error();
            out.extend(original);
            out.into()
        }
    }
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
        for source in [include_str!("expand.rs"), include_str!("args.rs")] {
            for (at, _) in source.match_indices("__tracekit_crate::__private") {
                let named = &source[at + "__tracekit_crate::".len()..];
                assert!(named.starts_with(&format!("{stamp}::")), "{}", &named[..30]);
            }
        }
    }
}
