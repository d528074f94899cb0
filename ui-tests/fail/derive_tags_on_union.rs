use tracekit::Tags;

#[derive(Tags)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
