use tracekit::traced;

struct Parser;

impl Parser {
    #[traced(skip(self), ret)]
    #[track_caller]
    fn parse(&self, text: &str) -> Result<u32, std::num::ParseIntError> {
        let value = text.parse::<u32>()?;
        Ok(value)
    }

    #[traced]
    #[track_caller]
    fn collect(&self, n: u8) -> Vec<u8> {
        (0..n).collect()
    }

    #[traced]
    #[track_caller]
    fn shown(&self) -> impl std::fmt::Display {
        3
    }
}

fn main() {
    let parser = Parser;
    let _ = parser.parse("7");
    let _ = parser.collect(3);
    let _ = parser.shown().to_string();
}
