#![deny(warnings)]

use tracekit::traced;

#[traced]
unsafe fn read(pointer: *const u8) -> u8 {
    // SAFETY: callers pass a valid pointer.
    unsafe { *pointer }
}

#[traced]
extern "C" fn callback(code: i32) -> i32 {
    code + 1
}

#[traced]
pub unsafe extern "C" fn both(code: i32) -> i32 {
    code
}

fn main() {
    let byte = 7u8;
    // SAFETY: `byte` is live.
    assert_eq!(unsafe { read(&byte) }, 7);
    assert_eq!(callback(1), 2);
    // SAFETY: no preconditions.
    assert_eq!(unsafe { both(3) }, 3);
}
