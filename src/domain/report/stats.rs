//! The small statistics of a report, defined once so every format and every test agrees.

use serde::Serialize;

/// Median and 90th percentile of a set of durations, in minutes rounded to 0.1.
/// The median of an even count is the mean of the two middle values; p90 is the nearest-rank
/// value (the smallest value with at least 90% of the set at or below it).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Durations {
    pub count: i64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Durations {
    pub fn of_seconds(mut seconds: Vec<i64>) -> Durations {
        if seconds.is_empty() {
            return Durations::default();
        }
        seconds.sort_unstable();
        let n = seconds.len();
        let median =
            if n % 2 == 1 { seconds[n / 2] as f64 } else { (seconds[n / 2 - 1] as f64 + seconds[n / 2] as f64) / 2.0 };
        // Nearest rank: ceil(0.9 n), counted from 1; integer maths so 0.9 × 10 is exactly 9.
        let rank = (9 * n).div_ceil(10).max(1);
        let p90 = seconds[rank - 1] as f64;
        Durations { count: n as i64, median: Some(minutes(median)), p90: Some(minutes(p90)) }
    }
}

fn minutes(seconds: f64) -> f64 {
    round1(seconds / 60.0)
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `part` of `whole` in percent, rounded to 0.1; none of nothing.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round1(part as f64 * 100.0 / whole as f64))
}

/// The mean rating of a 1–5 distribution, rounded to 0.01.
pub fn mean_rating(distribution: &[i64; 5]) -> Option<f64> {
    let n: i64 = distribution.iter().sum();
    let total: i64 = distribution.iter().enumerate().map(|(i, c)| (i as i64 + 1) * c).sum();
    (n > 0).then(|| (total as f64 * 100.0 / n as f64).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90() {
        let d = Durations::of_seconds(vec![600, 60, 120, 180, 240, 300, 360, 420, 480, 540]);
        assert_eq!(d.count, 10);
        assert_eq!(d.median, Some(5.5)); // (300 + 360) / 2 s
        assert_eq!(d.p90, Some(9.0)); // 9th of 10
        let one = Durations::of_seconds(vec![90]);
        assert_eq!((one.median, one.p90), (Some(1.5), Some(1.5)));
        let odd = Durations::of_seconds(vec![60, 180, 120]);
        assert_eq!((odd.median, odd.p90), (Some(2.0), Some(3.0)));
        assert_eq!(Durations::of_seconds(vec![]), Durations::default());
        // 11 values: rank ceil(9.9) = 10.
        let eleven = Durations::of_seconds((1..=11).map(|m| m * 60).collect());
        assert_eq!(eleven.p90, Some(10.0));
    }

    #[test]
    fn percents_and_means() {
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(0, 0), None);
        assert_eq!(mean_rating(&[0, 0, 1, 1, 1]), Some(4.0));
        assert_eq!(mean_rating(&[1, 0, 0, 0, 2]), Some(3.67));
        assert_eq!(mean_rating(&[0; 5]), None);
    }
}
