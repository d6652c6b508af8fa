//! How much each delivery mechanism helps, end to end: the real `Verifier`, the real
//! wrappers (`RouteByCountry`, `Failover`, `CircuitBreaker`) and the real receipt path
//! (`record_report`), on a `ManualClock`, with simulated providers and people.
//!
//! ```text
//! cargo run --example deliverability -- --seed 1 --users 10000 --svg docs/deliverability.svg
//! ```
//!
//! Options: `--seed N` (default 1), `--users N` (default 10000), `--intl-yen X` (the
//! international route's price per segment, default 12), `--svg PATH` (default
//! `docs/deliverability.svg`). Every assumption is a named field of `sim::Params`,
//! with its default and where the figure comes from, in `sim.rs`.

mod sim;

use std::error::Error;
use std::path::PathBuf;

use plotters::prelude::*;

/// A command-line argument that could not be used.
#[derive(Debug, thiserror::Error)]
enum ArgError {
    #[error("{0} needs a value")]
    Missing(&'static str),
    #[error("{flag} {value:?} is not a valid {what}")]
    Invalid {
        flag: &'static str,
        value: String,
        what: &'static str,
    },
    #[error("unknown option {0:?}; use --seed, --users, --intl-yen or --svg")]
    Unknown(String),
}

struct Args {
    seed: u64,
    users: usize,
    intl_yen: f64,
    svg: PathBuf,
}

fn args() -> Result<Args, ArgError> {
    let mut out = Args {
        seed: 1,
        users: 10_000,
        intl_yen: sim::Params::default().intl_yen,
        svg: PathBuf::from("docs/deliverability.svg"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &'static str| it.next().ok_or(ArgError::Missing(name));
        let invalid = |flag, value: String, what| ArgError::Invalid { flag, value, what };
        match flag.as_str() {
            "--seed" => {
                let v = value("--seed")?;
                out.seed = v.parse().map_err(|_| invalid("--seed", v, "number"))?;
            }
            "--users" => {
                let v = value("--users")?;
                out.users = v
                    .parse()
                    .ok()
                    .filter(|&n: &usize| (1..=1_000_000).contains(&n))
                    .ok_or_else(|| invalid("--users", v, "count from 1 to 1000000"))?;
            }
            "--intl-yen" => {
                let v = value("--intl-yen")?;
                out.intl_yen = v
                    .parse()
                    .ok()
                    .filter(|y: &f64| y.is_finite() && *y >= 0.0)
                    .ok_or_else(|| invalid("--intl-yen", v, "price"))?;
            }
            "--svg" => out.svg = PathBuf::from(value("--svg")?),
            _ => return Err(ArgError::Unknown(flag)),
        }
    }
    Ok(out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    let params = sim::Params {
        intl_yen: args.intl_yen,
        ..sim::Params::default()
    };
    println!(
        "Simulating {} people, seed {}, international price {} yen a segment, domestic {} yen.",
        args.users, args.seed, params.intl_yen, params.domestic_yen
    );
    println!(
        "Assumptions (examples/deliverability/sim.rs, Params::default):\n{}",
        params.describe()
    );
    let reports = sim::run_all(&params, args.seed, args.users).await?;
    println!("\n{}", sim::table(&reports));
    for r in &reports {
        println!(
            "{}: {} signed in with the authenticator app or a recovery code",
            r.strategy.label(),
            r.by_fallback
        );
    }
    chart(&reports, &args.svg)?;
    println!("\nChart: {}", args.svg.display());
    Ok(())
}

/// The share signed in against minutes since the code page, one line per strategy.
fn chart(reports: &[sim::Report], path: &std::path::Path) -> Result<(), Box<dyn Error>> {
    let curve = |r: &sim::Report| -> Vec<(f64, f64)> {
        (0..=600i32)
            .step_by(5)
            .map(|s| {
                let n = r
                    .signed_in_after_s
                    .iter()
                    .filter(|&&t| t <= i64::from(s))
                    .count();
                (
                    f64::from(s) / 60.0,
                    100.0 * n as f64 / r.people.max(1) as f64,
                )
            })
            .collect()
    };
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Signed in, by minutes since the code page (simulated)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..10f64, 0f64..100f64)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .y_desc("% of people signed in")
        .draw()?;
    let colours = [
        RGBColor(0x99, 0x99, 0x99),
        RGBColor(0xE6, 0x9F, 0x00),
        RGBColor(0x56, 0xB4, 0xE9),
        RGBColor(0x00, 0x9E, 0x73),
        RGBColor(0xD5, 0x5E, 0x00),
    ];
    for (r, colour) in reports.iter().zip(colours.iter().cycle()) {
        let colour = *colour;
        chart
            .draw_series(LineSeries::new(curve(r), colour.stroke_width(2)))?
            .label(r.strategy.label())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
