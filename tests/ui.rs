//! Compile-pass and compile-fail cases of `#[traced]`, pinned in `ui-tests/`.
//! Refresh the `.stderr` snapshots with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui-tests/pass/*.rs");
    cases.compile_fail("ui-tests/fail/*.rs");
}
