//! This process's threads as Linux shows them: what the test files that
//! read a thread's own counters need.

/// The file `file` of `/proc/self/task/<tid>/` for this process's thread
/// named `name` (the first one, if several are).
pub fn task_file(name: &str, file: &str) -> Option<String> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        if comm.trim() == name {
            return std::fs::read_to_string(path.join(file)).ok();
        }
    }
    None
}
