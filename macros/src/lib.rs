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
