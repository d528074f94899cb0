//! The `tracing` spans entered on this thread, each with the scope that
//! made its tracekit span the active one: what makes
//! `tracekit::context::current()` name the entered `tracing` span, and a
//! `#[traced]` call or a tracekit span started inside it its child.

use std::cell::RefCell;

use tracekit_runtime::Scope;

/// A thread enters spans inside spans only so deep; an enter whose exit
/// never comes (a guard forgotten) must not grow this without bound.
const MAX_ENTERED: usize = 1024;

thread_local! {
    static ENTERED: RefCell<Vec<(u64, Scope)>> = const { RefCell::new(Vec::new()) };
}

/// Notes that span `id` was entered with `scope`.
pub(crate) fn push(id: u64, scope: Scope) {
    let _ = ENTERED.try_with(|entered| {
        let mut entries = entered.borrow_mut();
        if entries.len() < MAX_ENTERED {
            entries.push((id, scope));
            return;
        }
        drop(entries);
        push_past_the_bound(entered, id, scope);
    });
}

/// [`push`] with the bound reached: the oldest entry makes room.
#[cold]
fn push_past_the_bound(entered: &RefCell<Vec<(u64, Scope)>>, id: u64, scope: Scope) {
    let oldest = {
        let mut entries = entered.borrow_mut();
        let oldest = entries.remove(0);
        entries.push((id, scope));
        oldest
    };
    // Its scope left, its span no longer active; after the borrow.
    drop(oldest);
}

/// Leaves the latest entry of span `id` (tracing exits a span on the
/// thread that entered it, most often the latest).
pub(crate) fn pop(id: u64) {
    let _ = ENTERED.try_with(|entered| {
        let scope = {
            let mut entered = entered.borrow_mut();
            // The latest, most often: popped, where `remove` would call
            // `memmove` for nothing.
            if entered.last().is_some_and(|(entry, _)| *entry == id) {
                entered.pop()
            } else {
                let at = entered.iter().rposition(|(entry, _)| *entry == id);
                at.map(|at| entered.remove(at))
            }
        };
        // Dropped after the borrow ends.
        drop(scope);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> usize {
        ENTERED.with(|entered| entered.borrow().len())
    }

    #[test]
    fn enters_never_exited_keep_at_most_the_bound() {
        for id in 0..(MAX_ENTERED as u64 + 500) {
            push(id, tracekit_runtime::Context::default().attach());
        }
        assert_eq!(entries(), MAX_ENTERED);
        // The latest are kept: the oldest kept is the 500th.
        pop(MAX_ENTERED as u64 + 499);
        pop(0);
        assert_eq!(entries(), MAX_ENTERED - 1, "0 was let go already");
        pop(500);
        assert_eq!(entries(), MAX_ENTERED - 2);
    }
}
