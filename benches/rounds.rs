//! Cases timed in alternating rounds, for ratios that a noisy machine
//! does not skew. Each round times every case once, back to back, from a
//! different first case each round, so that a slow phase of the machine
//! (the development VM has them: 2× for seconds at a time) falls on the
//! cases of a round alike. A ratio is taken within each round, and the
//! median over the rounds is reported with its spread. Criterion times
//! each case on its own, seconds apart, so the medians it gives for two
//! cases may come from different phases.

/// Times `cases` in `rounds` rounds, after one round not counted; each
/// case runs a batch and returns its time per operation. Returns each
/// round's times, in the order of `cases`.
pub fn time_in_rounds(rounds: usize, cases: &mut [&mut dyn FnMut() -> f64]) -> Vec<Vec<f64>> {
    let mut table = Vec::with_capacity(rounds);
    for round in 0..=rounds {
        let mut row = vec![0.0; cases.len()];
        for k in 0..cases.len() {
            let case = (round + k) % cases.len();
            row[case] = cases[case]();
        }
        // The first round warms caches and pools up.
        if round > 0 {
            table.push(row);
        }
    }
    table
}

/// Prints the median of `values` (one per round) with its quartiles and
/// range, and their mean with its standard error.
pub fn report(label: &str, values: &[f64]) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    println!(
        "{label}: median {:.3} (quartiles {:.3}–{:.3}, range {:.3}–{:.3}, {} rounds); \
         mean {:.3} ± {:.3}",
        at(0.5),
        at(0.25),
        at(0.75),
        at(0.0),
        at(1.0),
        sorted.len(),
        mean,
        (variance / n).sqrt(),
    );
}
