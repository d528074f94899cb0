use tracekit::traced;

#[traced]
trait Shelf {
    fn label(&self) -> String;
}

fn main() {}
