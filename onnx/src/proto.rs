//! The subset of the ONNX protobuf messages that import and export use,
//! written by hand for `prost` so that no `protoc` is needed.
//!
//! Message, field and enum-value numbers are those of the official
//! `onnx/onnx.proto` (proto2 syntax, package `onnx`; read from the copy
//! shipped in the `onnx` 1.23 Python package, which matches the repository's
//! `onnx/onnx.proto` at IR version 12). Only the fields listed here are
//! read; prost skips every other field of a message. Field names follow the
//! `.proto` file; the proto2 `optional` scalars are plain Rust values (an
//! absent field reads as its default, which ONNX gives the same meaning).

/// `ModelProto`: the top-level message of an `.onnx` file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    /// `ir_version = 1`.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// `producer_name = 2`.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// `producer_version = 3`.
    #[prost(string, tag = "3")]
    pub producer_version: String,
    /// `domain = 4`.
    #[prost(string, tag = "4")]
    pub domain: String,
    /// `model_version = 5`.
    #[prost(int64, tag = "5")]
    pub model_version: i64,
    /// `doc_string = 6`.
    #[prost(string, tag = "6")]
    pub doc_string: String,
    /// `graph = 7`.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// `opset_import = 8`.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

/// `OperatorSetIdProto`: an operator set the model uses.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    /// `domain = 1` (`""` or `"ai.onnx"` is the default domain).
    #[prost(string, tag = "1")]
    pub domain: String,
    /// `version = 2`.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// `GraphProto`: nodes, initializers, inputs and outputs.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    /// `node = 1`, in topological order (not relied upon).
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// `name = 2`.
    #[prost(string, tag = "2")]
    pub name: String,
    /// `initializer = 5`: constant tensors.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// `doc_string = 10`.
    #[prost(string, tag = "10")]
    pub doc_string: String,
    /// `input = 11`.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// `output = 12`.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
    /// `value_info = 13`: shapes of intermediate values (ignored by import).
    #[prost(message, repeated, tag = "13")]
    pub value_info: Vec<ValueInfoProto>,
}

/// `NodeProto`: one operator application.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    /// `input = 1` (an empty name is an omitted optional input).
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// `output = 2`.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// `name = 3`.
    #[prost(string, tag = "3")]
    pub name: String,
    /// `op_type = 4`.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// `attribute = 5`.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// `doc_string = 6`.
    #[prost(string, tag = "6")]
    pub doc_string: String,
    /// `domain = 7`.
    #[prost(string, tag = "7")]
    pub domain: String,
}

/// `AttributeProto.AttributeType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AttributeType {
    /// `UNDEFINED = 0`.
    Undefined = 0,
    /// `FLOAT = 1`.
    Float = 1,
    /// `INT = 2`.
    Int = 2,
    /// `STRING = 3`.
    String = 3,
    /// `TENSOR = 4`.
    Tensor = 4,
    /// `GRAPH = 5`.
    Graph = 5,
    /// `FLOATS = 6`.
    Floats = 6,
    /// `INTS = 7`.
    Ints = 7,
    /// `STRINGS = 8`.
    Strings = 8,
    /// `TENSORS = 9`.
    Tensors = 9,
    /// `GRAPHS = 10`.
    Graphs = 10,
    /// `SPARSE_TENSOR = 11`.
    SparseTensor = 11,
    /// `SPARSE_TENSORS = 12`.
    SparseTensors = 12,
    /// `TYPE_PROTO = 13`.
    TypeProto = 13,
    /// `TYPE_PROTOS = 14`.
    TypeProtos = 14,
}

/// `AttributeProto`: a named attribute of a node.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    /// `name = 1`.
    #[prost(string, tag = "1")]
    pub name: String,
    /// `f = 2`.
    #[prost(float, tag = "2")]
    pub f: f32,
    /// `i = 3`.
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// `s = 4` (UTF-8 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub s: Vec<u8>,
    /// `t = 5`.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// `floats = 7` (proto2, not packed).
    #[prost(float, repeated, packed = "false", tag = "7")]
    pub floats: Vec<f32>,
    /// `ints = 8` (proto2, not packed).
    #[prost(int64, repeated, packed = "false", tag = "8")]
    pub ints: Vec<i64>,
    /// `strings = 9`.
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub strings: Vec<Vec<u8>>,
    /// `type = 20`: which of the value fields is in use.
    #[prost(enumeration = "AttributeType", tag = "20")]
    pub r#type: i32,
}

/// `TensorProto.DataType` (the element types named in messages; only
/// `FLOAT` and, for shapes, `INT64` are accepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum DataType {
    /// `UNDEFINED = 0`.
    Undefined = 0,
    /// `FLOAT = 1`.
    Float = 1,
    /// `UINT8 = 2`.
    Uint8 = 2,
    /// `INT8 = 3`.
    Int8 = 3,
    /// `UINT16 = 4`.
    Uint16 = 4,
    /// `INT16 = 5`.
    Int16 = 5,
    /// `INT32 = 6`.
    Int32 = 6,
    /// `INT64 = 7`.
    Int64 = 7,
    /// `STRING = 8`.
    String = 8,
    /// `BOOL = 9`.
    Bool = 9,
    /// `FLOAT16 = 10`.
    Float16 = 10,
    /// `DOUBLE = 11`.
    Double = 11,
    /// `UINT32 = 12`.
    Uint32 = 12,
    /// `UINT64 = 13`.
    Uint64 = 13,
    /// `COMPLEX64 = 14`.
    Complex64 = 14,
    /// `COMPLEX128 = 15`.
    Complex128 = 15,
    /// `BFLOAT16 = 16`.
    Bfloat16 = 16,
}

/// The `.proto` name of an element type code (`FLOAT`, `INT64`, ..., or
/// `data type N` for codes not listed in [`DataType`]).
pub fn data_type_name(code: i32) -> String {
    use DataType::*;
    let name = match DataType::try_from(code) {
        Ok(Undefined) => "UNDEFINED",
        Ok(Float) => "FLOAT",
        Ok(Uint8) => "UINT8",
        Ok(Int8) => "INT8",
        Ok(Uint16) => "UINT16",
        Ok(Int16) => "INT16",
        Ok(Int32) => "INT32",
        Ok(Int64) => "INT64",
        Ok(String) => "STRING",
        Ok(Bool) => "BOOL",
        Ok(Float16) => "FLOAT16",
        Ok(Double) => "DOUBLE",
        Ok(Uint32) => "UINT32",
        Ok(Uint64) => "UINT64",
        Ok(Complex64) => "COMPLEX64",
        Ok(Complex128) => "COMPLEX128",
        Ok(Bfloat16) => "BFLOAT16",
        Err(_) => return format!("data type {code}"),
    };
    name.to_string()
}

impl AttributeType {
    /// The `.proto` name (`INT`, `FLOATS`, ...).
    pub fn proto_name(self) -> &'static str {
        use AttributeType::*;
        match self {
            Undefined => "UNDEFINED",
            Float => "FLOAT",
            Int => "INT",
            String => "STRING",
            Tensor => "TENSOR",
            Graph => "GRAPH",
            Floats => "FLOATS",
            Ints => "INTS",
            Strings => "STRINGS",
            Tensors => "TENSORS",
            Graphs => "GRAPHS",
            SparseTensor => "SPARSE_TENSOR",
            SparseTensors => "SPARSE_TENSORS",
            TypeProto => "TYPE_PROTO",
            TypeProtos => "TYPE_PROTOS",
        }
    }
}

/// `TensorProto.DataLocation` value of tensors stored in another file.
pub const DATA_LOCATION_EXTERNAL: i32 = 1;

/// `TensorProto`: a constant tensor (row-major).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// `dims = 1` (proto2, not packed).
    #[prost(int64, repeated, packed = "false", tag = "1")]
    pub dims: Vec<i64>,
    /// `data_type = 2` ([`DataType`] code).
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// `float_data = 4` (packed).
    #[prost(float, repeated, packed = "true", tag = "4")]
    pub float_data: Vec<f32>,
    /// `int32_data = 5` (packed).
    #[prost(int32, repeated, packed = "true", tag = "5")]
    pub int32_data: Vec<i32>,
    /// `int64_data = 7` (packed).
    #[prost(int64, repeated, packed = "true", tag = "7")]
    pub int64_data: Vec<i64>,
    /// `name = 8`.
    #[prost(string, tag = "8")]
    pub name: String,
    /// `doc_string = 12`.
    #[prost(string, tag = "12")]
    pub doc_string: String,
    /// `raw_data = 9`: fixed-width little-endian elements.
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    /// `data_location = 14` (`DEFAULT = 0`, `EXTERNAL = 1`).
    #[prost(int32, tag = "14")]
    pub data_location: i32,
}

/// `ValueInfoProto`: a named, typed value (graph input or output).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    /// `name = 1`.
    #[prost(string, tag = "1")]
    pub name: String,
    /// `type = 2`.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
    /// `doc_string = 3`.
    #[prost(string, tag = "3")]
    pub doc_string: String,
}

/// `TypeProto`: the type of a value (only tensors are read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    /// `oneof value { Tensor tensor_type = 1; ... }` (other kinds are skipped).
    #[prost(oneof = "TypeValue", tags = "1")]
    pub value: Option<TypeValue>,
    /// `denotation = 6`.
    #[prost(string, tag = "6")]
    pub denotation: String,
}

/// `TypeProto.value`: the kinds of type read here.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum TypeValue {
    /// `tensor_type = 1`.
    #[prost(message, tag = "1")]
    TensorType(TensorTypeProto),
}

/// `TypeProto.Tensor`: element type and shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorTypeProto {
    /// `elem_type = 1` ([`DataType`] code).
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// `shape = 2`.
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// `TensorShapeProto`: dimensions.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// `dim = 1`.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// `TensorShapeProto.Dimension`: a size, a symbolic name, or unknown.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dimension {
    /// `oneof value { int64 dim_value = 1; string dim_param = 2; }`.
    #[prost(oneof = "DimValue", tags = "1, 2")]
    pub value: Option<DimValue>,
    /// `denotation = 3`.
    #[prost(string, tag = "3")]
    pub denotation: String,
}

/// `TensorShapeProto.Dimension.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum DimValue {
    /// `dim_value = 1`: a fixed size.
    #[prost(int64, tag = "1")]
    DimValue(i64),
    /// `dim_param = 2`: a symbolic size.
    #[prost(string, tag = "2")]
    DimParam(String),
}
