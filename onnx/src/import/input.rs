//! The graph input: `[N, C, H, W]` or `[N, F]`, FLOAT, only `N` symbolic.

use super::u32_of;
use crate::error::OnnxError;
use crate::proto::{DimValue, TypeValue, ValueInfoProto};

/// The graph input as imported.
pub(super) struct InputShape {
    /// `(C, H, W)`, or `(F, 1, 1)`.
    pub shape: (u32, u32, u32),
    /// Whether the input is `[N, F]`.
    pub flat: bool,
    /// `N` when it is a fixed value.
    pub batch: Option<u32>,
}

/// Check the graph input's type and shape.
pub(super) fn input_shape(file: &str, input: &ValueInfoProto) -> Result<InputShape, OnnxError> {
    let gerr = |reason: String| OnnxError::Graph {
        file: file.into(),
        reason,
    };
    let tt = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(t)) => t,
        None => return Err(gerr(format!("input `{}` is not a tensor", input.name))),
    };
    if tt.elem_type != crate::proto::DataType::Float as i32 {
        return Err(OnnxError::DataType {
            file: file.into(),
            node: None,
            tensor: input.name.clone(),
            dtype: tt.elem_type,
            expected: "FLOAT",
        });
    }
    let dims = tt
        .shape
        .as_ref()
        .map(|s| s.dim.as_slice())
        .ok_or_else(|| gerr(format!("input `{}` has no shape", input.name)))?;
    let axes: &[&'static str] = match dims.len() {
        4 => &["N", "C", "H", "W"],
        2 => &["N", "F"],
        r => {
            return Err(gerr(format!(
                "input `{}` has rank {r}; [N, C, H, W] or [N, F] is supported",
                input.name
            )))
        }
    };
    let batch = match &dims[0].value {
        Some(DimValue::DimValue(v)) if *v > 0 => Some(u32_of(*v).ok_or_else(|| {
            gerr(format!(
                "input `{}`: batch {v} does not fit 32 bits",
                input.name
            ))
        })?),
        _ => None,
    };
    let mut sizes = Vec::new();
    for (d, axis) in dims.iter().zip(axes).skip(1) {
        let what = match &d.value {
            Some(DimValue::DimValue(v)) if *v > 0 => {
                sizes.push(u32_of(*v).ok_or_else(|| {
                    gerr(format!(
                        "input `{}`: dimension {axis} = {v} does not fit 32 bits",
                        input.name
                    ))
                })?);
                continue;
            }
            Some(DimValue::DimValue(v)) => format!("{v}"),
            Some(DimValue::DimParam(p)) => format!("symbolic (`{p}`)"),
            None => "missing".to_string(),
        };
        return Err(OnnxError::DynamicShape {
            file: file.into(),
            input: input.name.clone(),
            dim: sizes.len() + 1,
            axis,
            what,
        });
    }
    Ok(match sizes[..] {
        [c, h, w] => InputShape {
            shape: (c, h, w),
            flat: false,
            batch,
        },
        [f] => InputShape {
            shape: (f, 1, 1),
            flat: true,
            batch,
        },
        _ => unreachable!("rank checked"),
    })
}
