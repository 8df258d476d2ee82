//! The cycle-accurate simulator as a [`Backend`].

use crate::{Backend, BackendError, Image, Outcome, Status, Vector};

/// Runs vectors on `sim::Machine` (event-driven fast mode, or the
/// cycle-by-cycle stepped mode).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimBackend {
    /// Use the cycle-by-cycle reference mode instead of the fast mode.
    pub stepped: bool,
}

impl Backend for SimBackend {
    fn name(&self) -> &'static str {
        if self.stepped {
            "sim-stepped"
        } else {
            "sim"
        }
    }

    fn run(&self, v: &Vector) -> Result<Outcome, BackendError> {
        self.run_timed(v).map(|(o, _)| o)
    }
}

impl SimBackend {
    /// [`Backend::run`], also returning the wall time of the machine's run
    /// alone (not the DRAM image's loading or reading back), seconds.
    pub fn run_timed(&self, v: &Vector) -> Result<(Outcome, f64), BackendError> {
        let fail = |m: String| BackendError::Failed {
            backend: self.name(),
            message: m,
        };
        let mut m = sim::Machine::new(v.cfg.clone()).map_err(|e| fail(e.to_string()))?;
        m.set_seed(v.seed);
        let mut dram = sim::Dram::new(v.cfg.dram.size_bytes);
        for (addr, bytes) in &v.dram_image() {
            dram.write(*addr, bytes).map_err(|e| fail(e.to_string()))?;
        }
        let (base, len) = (v.program_base(), v.program.len());
        let t = std::time::Instant::now();
        let r = if self.stepped {
            m.run_at_stepped(base, len, &mut dram)
        } else {
            m.run_at(base, len, &mut dram)
        };
        let seconds = t.elapsed().as_secs_f64();
        // the counters of this run, also after an error halt
        let counters = m.last_stats().map(|s| s.counters.clone());
        let (cycles, status) = match r {
            Ok(stats) => (stats.cycles, Status::Done),
            Err(sim::SimError::Halted {
                class,
                index,
                cycle,
                ..
            }) => (
                cycle,
                Status::Error {
                    class: class.name().to_string(),
                    index,
                },
            ),
            Err(e) => return Err(fail(e.to_string())),
        };
        Ok((
            Outcome {
                cycles,
                status,
                dram: image_of(&dram),
                counters,
            },
            seconds,
        ))
    }
}

/// The whole of `dram` as an [`Image`].
pub fn image_of(dram: &sim::Dram) -> Image {
    let mut m = Image::new();
    for (a, bytes) in dram.pages() {
        m.write(a, bytes);
    }
    m
}
