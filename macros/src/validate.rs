//! Checks that the options fit the function they annotate.

use syn::Ident;

use crate::args::Options;
use crate::function::{Function, tag_name};

pub(crate) fn check(options: &Options, function: &Function) -> syn::Result<()> {
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new(
            constness.span,
            "#[traced] cannot trace a `const fn`: a span is started at run time; remove `const` or the attribute",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(
            variadic.dots.spans[0],
            "#[traced] cannot trace a C-variadic function",
        ));
    }
    if let Some(skip) = &options.skip_method {
        return Err(syn::Error::new(
            skip.span(),
            "a bare `skip` leaves a method of a traced impl block untraced; on its own, remove the attribute instead (or write `skip(arg, ..)` to leave arguments out)",
        ));
    }
    if let Some(option) = options.block_only() {
        return Err(syn::Error::new(
            option.span(),
            format!("`{option}` goes on an impl block, not on a function"),
        ));
    }
    let names = function.arg_names();
    if let (Some(skip_all), Some((skip, _))) = (&options.skip_all, &options.skip) {
        return Err(syn::Error::new(
            skip.span(),
            format!(
                "`skip(..)` has no effect with `{skip_all}`, which already records no argument; remove one"
            ),
        ));
    }
    if let (Some((args, _)), Some(other)) = (
        &options.args,
        options
            .skip_all
            .as_ref()
            .or(options.skip.as_ref().map(|(s, _)| s)),
    ) {
        return Err(syn::Error::new(
            args.span(),
            format!(
                "`args(..)` lists the arguments to record; it cannot be combined with `{other}`"
            ),
        ));
    }
    for (option, listed) in [&options.skip, &options.args].into_iter().flatten() {
        check_listed(option, listed, &names)?;
    }
    if let (Some(root), Some((child_of, _))) = (&options.root, &options.child_of) {
        return Err(syn::Error::new(
            child_of.span(),
            format!("`child_of` gives the span a parent, `{root}` says it has none; keep one"),
        ));
    }
    if let Some(ret) = &options.ret {
        let why = if function.return_type().is_none() {
            Some("this function returns nothing")
        } else if function.diverges() {
            Some("this function never returns")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(syn::Error::new(
                ret.span(),
                format!("`ret` records the return value, but {why}; remove `ret`"),
            ));
        }
    }
    Ok(())
}

/// Every name in `skip(..)` / `args(..)` must be an argument, once.
fn check_listed(option: &Ident, listed: &[Ident], names: &[Ident]) -> syn::Result<()> {
    for (i, name) in listed.iter().enumerate() {
        // `skip(self)` is a habit from `tracing`; `self` is never recorded
        // anyway, so there is nothing to skip.
        if name == "self" && option == "skip" {
            continue;
        }
        if name == "self" {
            return Err(syn::Error::new(
                name.span(),
                format!("`self` is never recorded; remove it from `{option}(..)`"),
            ));
        }
        if !names.iter().any(|arg| arg == name) {
            let known: Vec<String> = names.iter().map(tag_name).collect();
            let hint = if known.is_empty() {
                "the function has no arguments".to_owned()
            } else {
                format!("its arguments are: {}", known.join(", "))
            };
            return Err(syn::Error::new(
                name.span(),
                format!("`{option}({name})` names no argument of this function; {hint}"),
            ));
        }
        if listed[..i].contains(name) {
            return Err(syn::Error::new(
                name.span(),
                format!("`{name}` is listed twice in `{option}(..)`"),
            ));
        }
    }
    Ok(())
}
