use tracekit::traced;

struct Cart { items: Vec<u32> }

#[traced(tags(cart = cart))]
fn checkout(cart: &Cart) -> usize { cart.items.len() }

fn main() {}
