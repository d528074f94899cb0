//! The early exits of a `#[track_caller]` body run inline: each `return`
//! and `?` of the function itself (not of a closure, an async block or a
//! nested item inside it) becomes a `break` out of a labeled block, so the
//! value it leaves with is read like the value the body ends with. `?`
//! goes through the runtime's `question` traits, which mirror what `?`
//! does for every type the standard library lets it work on.
//!
//! The body is parsed only here (for `#[track_caller]` functions); a body
//! that does not parse, and a `return` or `?` inside a macro's arguments,
//! stay as written.

use proc_macro2::{Group, TokenStream};
use quote::{quote, quote_spanned};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Item};

/// The label the exits break to.
pub(crate) const LABEL: &str = "'__tracekit_body";

/// `body` with its exits turned into breaks to [`LABEL`], or `None` when
/// it has none (or does not parse).
pub(crate) fn rewritten(body: &Group) -> Option<TokenStream> {
    let mut block: syn::Block = syn::parse2(quote!(#body)).ok()?;
    let mut exits = Exits { found: 0 };
    exits.visit_block_mut(&mut block);
    (exits.found > 0).then(|| quote!(#block))
}

struct Exits {
    found: usize,
}

impl VisitMut for Exits {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            // Their `return` and `?` are their own.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            Expr::Return(exit) => {
                if let Some(value) = &mut exit.expr {
                    self.visit_expr_mut(value);
                }
                let value = exit
                    .expr
                    .as_ref()
                    .map_or_else(|| quote!(()), |value| quote!(#value));
                let label = label();
                *expr = syn::parse_quote_spanned!(exit.return_token.span=> break #label #value);
                self.found += 1;
            }
            Expr::Try(question) => {
                self.visit_expr_mut(&mut question.expr);
                let inner = &question.expr;
                let label = label();
                let span = question.question_token.span;
                let branch = quote_spanned!(span=>
                    __tracekit_crate::__private_0_1::question::Branch::__tracekit_branch(#inner)
                );
                let residual = quote_spanned!(span=>
                    __tracekit_crate::__private_0_1::question::FromResidual::__tracekit_from_residual(__tracekit_residual)
                );
                *expr = syn::parse_quote_spanned!(span=>
                    match #branch {
                        ::core::ops::ControlFlow::Continue(__tracekit_output) => __tracekit_output,
                        ::core::ops::ControlFlow::Break(__tracekit_residual) => break #label #residual,
                    }
                );
                self.found += 1;
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    // A nested function or impl returns on its own.
    fn visit_item_mut(&mut self, _: &mut Item) {}
}

fn label() -> syn::Lifetime {
    syn::Lifetime::new(LABEL, proc_macro2::Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(body: &str) -> Option<String> {
        let body: Group = syn::parse_str(body).unwrap();
        rewritten(&body).map(|tokens| tokens.to_string())
    }

    #[test]
    fn exits_of_the_function_become_breaks_and_others_stay() {
        let out = rewrite("{ let v = parse(x)?; if v == 0 { return Err(E); } Ok(v) }").unwrap();
        assert_eq!(out.matches("break '__tracekit_body").count(), 2, "{out}");
        assert!(!out.contains("return"), "{out}");
        let nested =
            "{ let f = || { return 1; }; let g = async { x? }; fn h() -> u8 { return 2; } f() }";
        assert_eq!(rewrite(nested), None);
        assert_eq!(rewrite("{ println!(\"{}\", x?); 1 }"), None);
        assert_eq!(rewrite("{ 1 + }"), None, "a body that does not parse");
    }
}
