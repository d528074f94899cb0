use tracekit::traced;

#[traced(skip(pasword))]
fn login(user: &str, password: &str) { let _ = (user, password); }

fn main() {}
