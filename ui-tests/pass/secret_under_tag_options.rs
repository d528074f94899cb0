//! A `Secret` asked to be recorded by an option (`debug`, `display`, a
//! `tags(..)` value, `ret`) compiles, and is still `[redacted]`.
use tracekit::{Secret, TagValue, Tags, testing, traced};

#[derive(Tags)]
struct Login {
    #[tags(debug)]
    pin: Secret<u32>,
    #[tags(display)]
    password: Secret<String>,
}

#[traced(ret, tags(shown = %pin, debugged = ?pin))]
fn check(login: &Login, pin: &Secret<u32>) -> Secret<u32> {
    Secret::new(**pin)
}

fn main() {
    let login = Login { pin: Secret::new(1234), password: Secret::new("hunter2".into()) };
    let (_, spans) = testing::capture(|| check(&login, &login.pin));
    let redacted = TagValue::from("[redacted]");
    for key in ["login.pin", "login.password", "shown", "debugged", "pin", "return"] {
        assert_eq!(spans[0].tag(key), Some(&redacted), "{key}");
    }
}
