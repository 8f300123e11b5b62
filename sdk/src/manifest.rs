//! Builders for what a department says about itself in `describe()`:
//! the [`Manifest`] and each step's [`StepSpec`]. Every name, title and
//! purpose is given in Chinese and English.
//!
//! ```
//! use onething_sdk::{Manifest, StepSpec};
//!
//! let manifest = Manifest::new("tax", "国家税务总局厦门市税务局", "Xiamen Tax Bureau", "1.0.0").step(
//!     StepSpec::new("tax-registration", "税务登记", "Tax registration")
//!         .reads("enterprise.uscc", "识别纳税人", "To identify the taxpayer")
//!         .reads_optional("enterprise.invoice_needed", "核定发票", "To set the invoice quota")
//!         .writes("tax.registration_date")
//!         .material("articles-of-association", "核实股东", "To confirm the shareholders")
//!         .time_limit_hours(4),
//! );
//! assert_eq!(manifest.steps[0].time_limit_minutes, 240);
//! assert_eq!(manifest.name.en, "Xiamen Tax Bureau");
//! ```
//!
//! Not for validating a manifest against the dictionary: the host does
//! that at load time, and [`crate::testkit`] does the same natively
//! (`testkit::assert_manifest_sound`).

use crate::{FieldNeed, Manifest, MaterialNeed, StepSpec, Text};

/// The time limit a step gets unless it sets one: one day.
pub const DEFAULT_TIME_LIMIT_MINUTES: u32 = 24 * 60;

impl Manifest {
    /// A manifest with no steps yet; the department's name in Chinese
    /// and English.
    pub fn new(
        department: impl Into<String>,
        name_zh: impl Into<String>,
        name_en: impl Into<String>,
        version: impl Into<String>,
    ) -> Manifest {
        Manifest {
            department: department.into(),
            name: Text::new(name_zh, name_en),
            version: version.into(),
            steps: Vec::new(),
        }
    }

    /// Add a step.
    pub fn step(mut self, step: StepSpec) -> Manifest {
        self.steps.push(step);
        self
    }

    /// The step with id `id`, if offered.
    pub fn find_step(&self, id: &str) -> Option<&StepSpec> {
        self.steps.iter().find(|s| s.id == id)
    }
}

impl StepSpec {
    /// A step reading and writing nothing, with the default time limit;
    /// its title in Chinese and English.
    pub fn new(
        id: impl Into<String>,
        title_zh: impl Into<String>,
        title_en: impl Into<String>,
    ) -> StepSpec {
        StepSpec {
            id: id.into(),
            title: Text::new(title_zh, title_en),
            reads: Vec::new(),
            writes: Vec::new(),
            materials: Vec::new(),
            time_limit_minutes: DEFAULT_TIME_LIMIT_MINUTES,
        }
    }

    fn read(mut self, key: impl Into<String>, required: bool, purpose: Text) -> StepSpec {
        self.reads.push(FieldNeed {
            key: key.into(),
            required,
            purpose,
        });
        self
    }

    fn need(mut self, code: impl Into<String>, required: bool, purpose: Text) -> StepSpec {
        self.materials.push(MaterialNeed {
            code: code.into(),
            required,
            purpose,
        });
        self
    }

    /// Reads a required field, saying why (in Chinese and English).
    pub fn reads(
        self,
        key: impl Into<String>,
        purpose_zh: impl Into<String>,
        purpose_en: impl Into<String>,
    ) -> StepSpec {
        self.read(key, true, Text::new(purpose_zh, purpose_en))
    }

    /// Reads an optional field, saying why (in Chinese and English).
    pub fn reads_optional(
        self,
        key: impl Into<String>,
        purpose_zh: impl Into<String>,
        purpose_en: impl Into<String>,
    ) -> StepSpec {
        self.read(key, false, Text::new(purpose_zh, purpose_en))
    }

    /// May write a field in an approval.
    pub fn writes(mut self, key: impl Into<String>) -> StepSpec {
        self.writes.push(key.into());
        self
    }

    /// Needs a material, saying why (in Chinese and English).
    pub fn material(
        self,
        code: impl Into<String>,
        purpose_zh: impl Into<String>,
        purpose_en: impl Into<String>,
    ) -> StepSpec {
        self.need(code, true, Text::new(purpose_zh, purpose_en))
    }

    /// Can use a material if supplied, saying why (in Chinese and English).
    pub fn material_optional(
        self,
        code: impl Into<String>,
        purpose_zh: impl Into<String>,
        purpose_en: impl Into<String>,
    ) -> StepSpec {
        self.need(code, false, Text::new(purpose_zh, purpose_en))
    }

    /// Time limit in minutes from the moment the step becomes ready.
    pub fn time_limit_minutes(mut self, minutes: u32) -> StepSpec {
        self.time_limit_minutes = minutes;
        self
    }

    /// Time limit in hours.
    pub fn time_limit_hours(self, hours: u32) -> StepSpec {
        self.time_limit_minutes(hours.saturating_mul(60))
    }

    /// Whether the step declared it reads `key`.
    pub fn reads_key(&self, key: &str) -> bool {
        self.reads.iter().any(|r| r.key == key)
    }

    /// Whether the step declared it may write `key`.
    pub fn writes_key(&self, key: &str) -> bool {
        self.writes.iter().any(|w| w == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_steps() {
        let s = StepSpec::new("birth-certificate", "出生医学证明", "Birth certificate")
            .reads("child.name", "p", "p")
            .reads_optional("father.name", "p", "p")
            .writes("child.birth_certificate_number")
            .material("birth-record", "p", "p")
            .material_optional("x-y", "核对", "To check")
            .time_limit_minutes(90);
        assert_eq!(s.reads.len(), 2);
        assert!(s.reads[0].required && !s.reads[1].required);
        assert!(s.reads_key("father.name") && !s.reads_key("mother.name"));
        assert!(s.writes_key("child.birth_certificate_number"));
        assert!(s.materials[0].required && !s.materials[1].required);
        assert_eq!(s.materials[1].purpose, Text::new("核对", "To check"));
        assert_eq!(s.title.en, "Birth certificate");
        assert_eq!(s.time_limit_minutes, 90);
        assert_eq!(
            StepSpec::new("a", "b", "B").time_limit_minutes,
            DEFAULT_TIME_LIMIT_MINUTES
        );
        assert_eq!(
            StepSpec::new("a", "b", "B")
                .time_limit_hours(u32::MAX)
                .time_limit_minutes,
            u32::MAX
        );
        let m = Manifest::new("health", "卫健委", "Health Commission", "1.0.0").step(s);
        assert!(m.find_step("birth-certificate").is_some());
        assert!(m.find_step("nope").is_none());
    }
}
