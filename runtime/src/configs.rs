//! Configurations on the command line: `--preset NAME|FILE` everywhere, and
//! the editable config files `diannao config` prints.
//!
//! Files are parsed by `arch` ([`AccelConfig::from_toml_str`],
//! [`AccelConfig::from_json_str`]); this module adds the line of the offending
//! field to validation errors, so every config-file message names file, line
//! and field.

use arch::config::{ConfigError, PRESET_NAMES};
use arch::AccelConfig;
use std::path::Path;
use thiserror::Error;

/// Why `--preset` did not give a usable configuration.
#[derive(Debug, Error)]
pub enum ConfigFileError {
    /// Neither a preset name nor an existing `.toml`/`.json` file.
    #[error("unknown preset `{0}` (known: {known}; or give a path to a .toml or .json config file)", known = PRESET_NAMES.join(", "))]
    Unknown(String),
    /// The file could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// File path.
        path: String,
        /// OS error.
        reason: String,
    },
    /// The file is not a valid configuration.
    #[error("{path}: {reason}")]
    Invalid {
        /// File path.
        path: String,
        /// Line, column (when known), field and reason.
        reason: String,
    },
}

/// File format of a configuration file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TOML (the default).
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// Format of `path` by its extension (`.json` is JSON, anything else TOML).
    pub fn of(path: &Path) -> Self {
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// A preset name or a path to a `.toml`/`.json` configuration file.
pub fn resolve(name_or_path: &str) -> Result<AccelConfig, ConfigFileError> {
    if PRESET_NAMES.contains(&name_or_path) {
        return AccelConfig::preset(name_or_path)
            .map_err(|_| ConfigFileError::Unknown(name_or_path.into()));
    }
    let path = Path::new(name_or_path);
    let looks_like_file =
        name_or_path.ends_with(".toml") || name_or_path.ends_with(".json") || path.is_file();
    if !looks_like_file {
        return Err(ConfigFileError::Unknown(name_or_path.into()));
    }
    load(path)
}

/// Load a configuration file.
pub fn load(path: &Path) -> Result<AccelConfig, ConfigFileError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigFileError::Io {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    parse(&text, &p, Format::of(path))
}

/// Parse configuration text; `path` only names the source in messages.
pub fn parse(text: &str, path: &str, format: Format) -> Result<AccelConfig, ConfigFileError> {
    let r = match format {
        Format::Toml => AccelConfig::from_toml_str(text, path),
        Format::Json => AccelConfig::from_json_str(text, path),
    };
    r.map_err(|e| match e {
        ConfigError::Field { field, reason } => {
            let at = match field_line(text, field, format) {
                Some(line) => format!("line {line}: "),
                None => String::new(),
            };
            ConfigFileError::Invalid {
                path: path.into(),
                reason: format!("{at}field `{field}`: {reason}"),
            }
        }
        ConfigError::Parse { path, reason } => {
            let reason = name_field_of_line(text, &reason, format);
            ConfigFileError::Invalid { path, reason }
        }
        ConfigError::Io { path, reason } => ConfigFileError::Io { path, reason },
        ConfigError::UnknownPreset(n) => ConfigFileError::Unknown(n),
    })
}

/// The key written on a line of config text (`key = ...` or `"key": ...`).
fn key_of_line(line: &str, format: Format) -> Option<String> {
    let l = line.trim_start();
    let key = match format {
        Format::Toml => l
            .split('=')
            .next()
            .filter(|_| l.contains('='))?
            .trim()
            .trim_matches('"'),
        Format::Json => l.strip_prefix('"')?.split('"').next()?,
    };
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| key.to_string())
}

/// 1-based line on which `field` (`name` or `table.name`) is set, if found.
pub fn field_line(text: &str, field: &str, format: Format) -> Option<usize> {
    let (table, key) = match field.split_once('.') {
        Some((t, k)) => (Some(t), k),
        None => (None, field),
    };
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        match format {
            Format::Toml => {
                if let Some(h) = l.strip_prefix('[') {
                    current = Some(h.trim_end_matches(']').trim().to_string());
                    continue;
                }
                if table.is_some()
                    && l.starts_with(&format!("{}.{key}", table.unwrap_or("")))
                    && current.is_none()
                {
                    return Some(i + 1);
                }
                if current.as_deref() == table && key_of_line(l, format).as_deref() == Some(key) {
                    return Some(i + 1);
                }
            }
            Format::Json => {
                if table.is_some()
                    && key_of_line(l, format).as_deref() == table.map(|t| t.to_string()).as_deref()
                {
                    current = table.map(|t| t.to_string());
                    continue;
                }
                if current.as_deref() == table && key_of_line(l, format).as_deref() == Some(key) {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

/// If a parser message names a line but not the field, add the key set on that line.
fn name_field_of_line(text: &str, reason: &str, format: Format) -> String {
    let line = reason
        .strip_prefix("line ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<usize>().ok());
    if let Some(n) = line {
        if let Some(key) = text
            .lines()
            .nth(n.saturating_sub(1))
            .and_then(|l| key_of_line(l, format))
        {
            if !reason.contains(&format!("`{key}`")) {
                return format!("{reason} (field `{key}`)");
            }
        }
    }
    reason.to_string()
}

/// A configuration as an editable file: TOML with the derived figures as
/// comments, or pretty JSON. Parsing the result gives `cfg` back.
pub fn render(cfg: &AccelConfig, format: Format) -> Result<String, ConfigRenderError> {
    match format {
        Format::Json => Ok(serde_json::to_string_pretty(cfg)? + "\n"),
        Format::Toml => {
            let body = toml::to_string(cfg)?;
            let mut s = String::new();
            s.push_str(&format!(
                "# Accelerator configuration `{}`. Edit it and pass the file to any\n",
                cfg.name
            ));
            s.push_str(
                "# `--preset` option, e.g. `diannao asm prog.s -o prog.bin --preset this.toml`.\n",
            );
            s.push_str("# Sizes in bytes, latencies in cycles, clock in MHz. Derived figures:\n");
            for line in crate::presets::derived_lines(cfg) {
                s.push_str(&format!("#   {line}\n"));
            }
            s.push('\n');
            s.push_str(&body);
            Ok(s)
        }
    }
}

/// A configuration that cannot be serialised (not expected for valid ones).
#[derive(Debug, Error)]
pub enum ConfigRenderError {
    /// TOML serialisation failed.
    #[error("cannot render TOML: {0}")]
    Toml(#[from] toml::ser::Error),
    /// JSON serialisation failed.
    #[error("cannot render JSON: {0}")]
    Json(#[from] serde_json::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_files_parse_back() {
        for cfg in AccelConfig::presets() {
            for f in [Format::Toml, Format::Json] {
                let text = render(&cfg, f).unwrap();
                assert_eq!(parse(&text, "x", f).unwrap(), cfg, "{f:?}");
            }
        }
    }

    #[test]
    fn validation_errors_name_line_and_field() {
        let text = render(&AccelConfig::tiny(), Format::Toml)
            .unwrap()
            .replace("tn = 4", "tn = 3");
        let line = text.lines().position(|l| l == "tn = 3").unwrap() + 1;
        let e = parse(&text, "my.toml", Format::Toml)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("my.toml: line {line}: field `tn`:")),
            "{e}"
        );

        let text = render(&AccelConfig::tiny(), Format::Toml)
            .unwrap()
            .replace("latency_cycles = 6", "latency_cycles = 0");
        let line = text
            .lines()
            .position(|l| l == "latency_cycles = 0")
            .unwrap()
            + 1;
        let e = parse(&text, "my.toml", Format::Toml)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "my.toml: line {line}: field `dram.latency_cycles`:"
            )),
            "{e}"
        );

        let text = render(&AccelConfig::tiny(), Format::Json)
            .unwrap()
            .replace("\"latency_cycles\": 6", "\"latency_cycles\": 0");
        let e = parse(&text, "my.json", Format::Json)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line ") && e.contains("dram.latency_cycles"),
            "{e}"
        );
    }

    #[test]
    fn type_errors_name_line_and_field() {
        let text = render(&AccelConfig::tiny(), Format::Toml)
            .unwrap()
            .replace("tn = 4", "tn = \"four\"");
        let e = parse(&text, "my.toml", Format::Toml)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my.toml: line ") && e.contains("`tn`"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn unknown_names_are_unknown() {
        assert!(matches!(
            resolve("nosuch"),
            Err(ConfigFileError::Unknown(_))
        ));
        assert!(matches!(
            resolve("/no/such/file.toml"),
            Err(ConfigFileError::Io { .. })
        ));
        assert_eq!(resolve("tiny").unwrap(), AccelConfig::tiny());
    }
}
