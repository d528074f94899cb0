#![deny(warnings)]

use tracekit::traced;

pub struct Pair<A, B> {
    a: A,
    b: B,
}

#[traced(skip_all)]
impl<A, B> Pair<A, B>
where
    A: Clone,
    B: Default,
{
    pub fn new(a: A) -> Self {
        Pair { a, b: B::default() }
    }

    pub fn swap_in(self, b: B) -> Self {
        Self { b, ..self }
    }

    pub fn first(&self) -> A {
        self.a.clone()
    }

    pub fn second(&self) -> &B {
        &self.b
    }

    pub async fn later(&self) -> A {
        self.a.clone()
    }
}

macro_rules! getter {
    ($name:ident) => {
        pub fn $name(&self) -> u8 {
            1
        }
    };
}

pub struct Macro;

// Methods a macro call produces are not seen by the attribute.
#[traced]
impl Macro {
    getter!(one);
}

fn main() {
    let pair: Pair<u8, String> = Pair::new(1).swap_in("b".to_owned());
    assert_eq!((pair.first(), pair.second().as_str()), (1, "b"));
    drop(pair.later());
    assert_eq!(Macro.one(), 1);
}
