#![deny(warnings)]

use tracekit::traced;

#[derive(Debug)]
enum AppError {
    Parse,
}

impl From<std::num::ParseIntError> for AppError {
    fn from(_: std::num::ParseIntError) -> Self {
        AppError::Parse
    }
}

#[traced]
fn parse(text: &str) -> Result<u32, AppError> {
    if text.is_empty() {
        return Ok(0);
    }
    let value: u32 = text.parse()?;
    Ok(value)
}

#[traced]
fn first(text: &str) -> Option<char> {
    let c = text.chars().next()?;
    Some(c)
}

#[traced]
fn as_str(owned: &String) -> &str {
    owned
}

fn main() {
    assert_eq!(parse("").unwrap(), 0);
    assert!(parse("x").is_err());
    assert_eq!(first("ab"), Some('a'));
    assert_eq!(as_str(&"s".to_owned()), "s");
}
