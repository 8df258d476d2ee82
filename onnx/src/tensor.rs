//! Tensor data and node attributes: decoding for import, building for export.

use crate::proto::{
    AttributeProto, AttributeType, DataType, NodeProto, TensorProto, DATA_LOCATION_EXTERNAL,
};

/// Why a constant tensor cannot be used.
#[derive(Debug)]
pub(crate) enum TensorIssue {
    /// Wrong element type (code of the type found, name of the type expected).
    DataType(i32, &'static str),
    /// Dims and data that do not agree.
    Length(String),
    /// Data kept outside the file.
    External(String),
}

/// Element count of a tensor with these dims (`[]` is a scalar).
pub(crate) fn numel(dims: &[i64]) -> Result<usize, String> {
    let mut n: usize = 1;
    for &d in dims {
        let d = usize::try_from(d).map_err(|_| format!("negative dimension {d}"))?;
        n = n
            .checked_mul(d)
            .ok_or_else(|| format!("dimensions {dims:?} overflow"))?;
    }
    Ok(n)
}

fn check_len(t: &TensorProto, got: usize) -> Result<(), TensorIssue> {
    let want = numel(&t.dims).map_err(TensorIssue::Length)?;
    if got != want {
        return Err(TensorIssue::Length(format!(
            "tensor `{}` has dims {:?} ({want} values) but holds {got}",
            t.name, t.dims
        )));
    }
    Ok(())
}

fn check_type(t: &TensorProto, want: DataType, name: &'static str) -> Result<(), TensorIssue> {
    if t.data_type != want as i32 {
        return Err(TensorIssue::DataType(t.data_type, name));
    }
    if t.data_location == DATA_LOCATION_EXTERNAL {
        return Err(TensorIssue::External(format!(
            "tensor `{}` keeps its data in an external file (not supported)",
            t.name
        )));
    }
    Ok(())
}

/// The values of a FLOAT tensor (`raw_data` or `float_data`).
pub(crate) fn floats(t: &TensorProto) -> Result<Vec<f32>, TensorIssue> {
    check_type(t, DataType::Float, "FLOAT")?;
    let v: Vec<f32> = if !t.raw_data.is_empty() {
        if !t.raw_data.chunks_exact(4).remainder().is_empty() {
            return Err(TensorIssue::Length(format!(
                "tensor `{}`: raw_data of {} bytes is not a whole number of floats",
                t.name,
                t.raw_data.len()
            )));
        }
        t.raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    } else {
        t.float_data.clone()
    };
    check_len(t, v.len())?;
    Ok(v)
}

/// The values of an INT64 tensor (`raw_data` or `int64_data`).
pub(crate) fn int64s(t: &TensorProto) -> Result<Vec<i64>, TensorIssue> {
    check_type(t, DataType::Int64, "INT64")?;
    let v: Vec<i64> = if !t.raw_data.is_empty() {
        if !t.raw_data.chunks_exact(8).remainder().is_empty() {
            return Err(TensorIssue::Length(format!(
                "tensor `{}`: raw_data of {} bytes is not a whole number of int64s",
                t.name,
                t.raw_data.len()
            )));
        }
        t.raw_data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect()
    } else {
        t.int64_data.clone()
    };
    check_len(t, v.len())?;
    Ok(v)
}

/// A FLOAT tensor with its values in `raw_data`.
pub(crate) fn float_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.to_string(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// A node's attributes, looked up by name with their types checked.
pub(crate) struct Attrs<'a>(pub &'a NodeProto);

impl<'a> Attrs<'a> {
    fn get(&self, name: &str, want: AttributeType) -> Result<Option<&'a AttributeProto>, String> {
        match self.0.attribute.iter().find(|a| a.name == name) {
            None => Ok(None),
            Some(a) if a.r#type == want as i32 || a.r#type == AttributeType::Undefined as i32 => {
                Ok(Some(a))
            }
            Some(a) => Err(format!(
                "attribute `{name}` is of type {}, expected {}",
                AttributeType::try_from(a.r#type)
                    .map(|t| t.proto_name().to_string())
                    .unwrap_or_else(|_| a.r#type.to_string()),
                want.proto_name()
            )),
        }
    }

    /// Every attribute is one of `known` (an unknown one could change the meaning).
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self
            .0
            .attribute
            .iter()
            .find(|a| !known.contains(&a.name.as_str()))
        {
            Some(a) => Err(format!("attribute `{}` is not supported", a.name)),
            None => Ok(()),
        }
    }

    /// An INT attribute, or `default`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, String> {
        Ok(self.get(name, AttributeType::Int)?.map_or(default, |a| a.i))
    }

    /// A FLOAT attribute, or `default`.
    pub fn float(&self, name: &str, default: f32) -> Result<f32, String> {
        Ok(self
            .get(name, AttributeType::Float)?
            .map_or(default, |a| a.f))
    }

    /// An INTS attribute, if present.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, String> {
        Ok(self.get(name, AttributeType::Ints)?.map(|a| a.ints.clone()))
    }

    /// A FLOATS attribute, if present.
    pub fn floats(&self, name: &str) -> Result<Option<Vec<f32>>, String> {
        Ok(self
            .get(name, AttributeType::Floats)?
            .map(|a| a.floats.clone()))
    }

    /// A STRING attribute, if present.
    pub fn string(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .get(name, AttributeType::String)?
            .map(|a| String::from_utf8_lossy(&a.s).into_owned()))
    }

    /// A TENSOR attribute, if present.
    pub fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, String> {
        match self.get(name, AttributeType::Tensor)? {
            None => Ok(None),
            Some(a) => {
                a.t.as_ref()
                    .map(Some)
                    .ok_or_else(|| format!("attribute `{name}` holds no tensor"))
            }
        }
    }
}

/// An INT attribute.
pub(crate) fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i: v,
        r#type: AttributeType::Int as i32,
        ..Default::default()
    }
}

/// An INTS attribute.
pub(crate) fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        r#type: AttributeType::Ints as i32,
        ..Default::default()
    }
}
