//! CPU energy: RAPL counters when the machine exposes them, otherwise measured
//! time x a stated power. Every report names the method ([`CpuEnergy::describe`]).
//!
//! * **RAPL**: `/sys/class/powercap/intel-rapl*/energy_uj` (package domains,
//!   `intel-rapl:N`; AMD's RAPL is exposed under the same name by Linux),
//!   read before and after the timed repetitions; energy per run = the
//!   difference (wrap-around corrected with `max_energy_range_uj`) / runs.
//! * **Stated power**: energy = median time x watts. Default watts =
//!   [`DEFAULT_WATTS_PER_CORE`] x threads, or the user's `--cpu-watts`.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Default power of one busy core, W: the reference CPU, the AMD EPYC 9654
/// (Zen 4 "Genoa": x86 family 25, model 17, AVX-512, 1 MiB L2 per core), has
/// a 360 W TDP for 96 cores, 3.75 W per core including its share of the I/O
/// die. TDP is a sustained all-core figure, so this is an upper-end estimate
/// for a loaded core and ignores idle and DRAM power. Reports say whether the
/// machine that ran is that CPU ([`this_cpu`]).
pub const DEFAULT_WATTS_PER_CORE: f64 = 3.75;

/// Where [`DEFAULT_WATTS_PER_CORE`] comes from (printed in reports, followed
/// by what [`this_cpu`] read).
pub const DEFAULT_SOURCE: &str = "AMD EPYC 9654 (Zen 4 Genoa) datasheet: 360 W TDP / 96 cores = 3.75 W per busy core, times the threads used; DRAM and idle power not included";

/// The x86 vendor, family and model of the reference CPU of [`DEFAULT_SOURCE`].
const REFERENCE_CPU: (&str, u32, u32) = ("AuthenticAMD", 25, 17);

/// What `/proc/cpuinfo` says of the first CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuIdentity {
    /// `model name`, e.g. "AMD EPYC 9654 96-Core Processor".
    pub model_name: String,
    /// `vendor_id`, e.g. "AuthenticAMD".
    pub vendor: String,
    /// `cpu family`.
    pub family: Option<u32>,
    /// `model`.
    pub model: Option<u32>,
}

impl CpuIdentity {
    /// Parse the text of `/proc/cpuinfo` (the first processor's lines).
    pub fn parse(cpuinfo: &str) -> Option<Self> {
        let field = |key: &str| {
            cpuinfo.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
        };
        Some(CpuIdentity {
            model_name: field("model name")?,
            vendor: field("vendor_id").unwrap_or_default(),
            family: field("cpu family").and_then(|v| v.parse().ok()),
            model: field("model").and_then(|v| v.parse().ok()),
        })
    }

    /// True when this is the reference CPU's vendor, family and model.
    pub fn is_reference(&self) -> bool {
        let (v, f, m) = REFERENCE_CPU;
        self.vendor == v && self.family == Some(f) && self.model == Some(m)
    }

    /// How this CPU relates to the reference figure, for reports.
    pub fn relation(&self) -> String {
        if self.is_reference() {
            format!(
                "this machine: {} (the reference's family and model)",
                self.model_name
            )
        } else {
            format!(
                "this machine: {} (not the reference CPU: the figure is the reference's, not measured here; give --cpu-watts for this CPU)",
                self.model_name
            )
        }
    }
}

/// The CPU this program runs on, from `/proc/cpuinfo` (None where it cannot be read).
pub fn this_cpu() -> Option<CpuIdentity> {
    CpuIdentity::parse(&std::fs::read_to_string("/proc/cpuinfo").ok()?)
}

/// The stated-power source text for `threads` threads on `cpu`.
pub fn default_source(threads: usize, cpu: Option<&CpuIdentity>) -> String {
    let relation = cpu.map_or_else(
        || "this machine's CPU could not be read from /proc/cpuinfo".to_string(),
        |c| c.relation(),
    );
    format!("{DEFAULT_SOURCE} ({threads} threads); {relation}")
}

/// Root of the powercap tree.
pub const POWERCAP: &str = "/sys/class/powercap";

/// Why the CPU energy method cannot be set up.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CpuEnergyError {
    /// `--cpu-watts` is not a positive finite number.
    #[error("--cpu-watts must be a positive number of watts, got {0}")]
    BadWatts(f64),
}

/// How CPU energy is obtained.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CpuEnergy {
    /// RAPL package counters (energy_uj files).
    Rapl {
        /// The `energy_uj` files summed.
        zones: Vec<PathBuf>,
    },
    /// Measured median time x a stated power.
    StatedPower {
        /// Watts.
        watts: f64,
        /// Where the figure comes from.
        source: String,
    },
}

/// A RAPL reading: microjoules per zone.
#[derive(Clone, Debug)]
pub struct RaplReading(Vec<u64>);

/// The package-level RAPL `energy_uj` files under `root` (`intel-rapl:N`, not sub-zones).
pub fn rapl_zones(root: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("intel-rapl:") && n.matches(':').count() == 1
        })
        .map(|e| e.path().join("energy_uj"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().parse::<u64>().is_ok())
                .unwrap_or(false)
        })
        .collect();
    v.sort();
    v
}

impl CpuEnergy {
    /// Choose the method: `--cpu-watts` if given, else RAPL if readable, else
    /// [`DEFAULT_WATTS_PER_CORE`] x `threads`.
    pub fn detect(cpu_watts: Option<f64>, threads: usize) -> Result<Self, CpuEnergyError> {
        Self::detect_in(Path::new(POWERCAP), cpu_watts, threads)
    }

    /// [`CpuEnergy::detect`] with another powercap root (tests).
    pub fn detect_in(
        root: &Path,
        cpu_watts: Option<f64>,
        threads: usize,
    ) -> Result<Self, CpuEnergyError> {
        if let Some(w) = cpu_watts {
            if !(w.is_finite() && w > 0.0) {
                return Err(CpuEnergyError::BadWatts(w));
            }
            return Ok(CpuEnergy::StatedPower {
                watts: w,
                source: "--cpu-watts (given by the user)".into(),
            });
        }
        let zones = rapl_zones(root);
        if !zones.is_empty() {
            return Ok(CpuEnergy::Rapl { zones });
        }
        let t = threads.max(1);
        Ok(CpuEnergy::StatedPower {
            watts: DEFAULT_WATTS_PER_CORE * t as f64,
            source: default_source(t, this_cpu().as_ref()),
        })
    }

    /// One line saying how CPU energy was obtained.
    pub fn describe(&self) -> String {
        match self {
            CpuEnergy::Rapl { zones } => format!(
                "RAPL package energy counters ({}), difference over the timed runs / runs",
                zones
                    .iter()
                    .map(|z| z.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CpuEnergy::StatedPower { watts, source } => {
                format!("measured median time x stated power {watts} W; source: {source}")
            }
        }
    }

    /// Read the counters (RAPL only).
    pub fn read(&self) -> Option<RaplReading> {
        match self {
            CpuEnergy::Rapl { zones } => zones
                .iter()
                .map(|z| std::fs::read_to_string(z).ok()?.trim().parse::<u64>().ok())
                .collect::<Option<Vec<u64>>>()
                .map(RaplReading),
            CpuEnergy::StatedPower { .. } => None,
        }
    }

    /// Energy of one run in joules, from the median time (stated power) or
    /// from two RAPL readings around `runs` runs.
    pub fn joules(&self, median_s: f64, rapl: Option<(&RaplReading, &RaplReading, usize)>) -> f64 {
        match (self, rapl) {
            (CpuEnergy::StatedPower { watts, .. }, _) => median_s * watts,
            (CpuEnergy::Rapl { zones }, Some((a, b, runs))) => {
                let uj: u64 = zones
                    .iter()
                    .zip(a.0.iter().zip(&b.0))
                    .map(|(z, (x, y))| {
                        if y >= x {
                            y - x
                        } else {
                            let max =
                                std::fs::read_to_string(z.with_file_name("max_energy_range_uj"))
                                    .ok()
                                    .and_then(|s| s.trim().parse::<u64>().ok())
                                    .unwrap_or(0);
                            max.saturating_sub(*x) + y
                        }
                    })
                    .sum();
                uj as f64 * 1e-6 / runs.max(1) as f64
            }
            (CpuEnergy::Rapl { .. }, None) => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_name_the_cpu_they_read() {
        let amd = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC 9654 96-Core Processor\n";
        let c = CpuIdentity::parse(amd).unwrap();
        assert!(c.is_reference());
        let s = default_source(4, Some(&c));
        assert!(
            s.contains("(4 threads)") && s.contains("AMD EPYC 9654 96-Core Processor"),
            "{s}"
        );
        assert!(s.contains("the reference's family and model"), "{s}");
        let intel = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 167\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        let c = CpuIdentity::parse(intel).unwrap();
        assert!(!c.is_reference());
        let s = default_source(2, Some(&c));
        assert!(
            s.contains("Intel(R) Xeon(R) Processor") && s.contains("not the reference CPU"),
            "{s}"
        );
        assert!(!s.contains("same family"), "{s}");
        assert!(default_source(1, None).contains("could not be read"));
        assert_eq!(CpuIdentity::parse("flags: x\n"), None);
    }

    #[test]
    fn stated_power_and_rapl_detection() {
        let d = tempfile::tempdir().unwrap();
        let e = CpuEnergy::detect_in(d.path(), None, 2).unwrap();
        assert_eq!(
            e,
            CpuEnergy::StatedPower {
                watts: 7.5,
                source: default_source(2, this_cpu().as_ref())
            }
        );
        assert_eq!(e.joules(2.0, None), 15.0);
        assert!(CpuEnergy::detect_in(d.path(), Some(0.0), 2).is_err());
        assert!(CpuEnergy::detect_in(d.path(), Some(f64::NAN), 2).is_err());
        let z = d.path().join("intel-rapl:0");
        std::fs::create_dir(&z).unwrap();
        std::fs::write(z.join("energy_uj"), "1000\n").unwrap();
        std::fs::write(z.join("max_energy_range_uj"), "5000\n").unwrap();
        std::fs::create_dir(d.path().join("intel-rapl:0:0")).unwrap();
        let e = CpuEnergy::detect_in(d.path(), None, 2).unwrap();
        assert!(matches!(&e, CpuEnergy::Rapl { zones } if zones.len() == 1));
        let a = e.read().unwrap();
        std::fs::write(z.join("energy_uj"), "500\n").unwrap(); // wrapped
        let b = e.read().unwrap();
        assert!((e.joules(0.0, Some((&a, &b, 2))) - 4500e-6 / 2.0).abs() < 1e-12);
        assert!(e.describe().starts_with("RAPL"));
    }
}
