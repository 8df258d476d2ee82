//! Load a model by name or file, whatever its format: built-in names, model
//! files (`.toml`), SCALE-Sim topologies (`.csv`) and ONNX files (`.onnx`,
//! which also carry weights).

use crate::graph::Network;
use crate::run::RunError;
use firmware::Model;
use std::path::Path;

fn is_onnx(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// The model `name_or_path` names (its weights, if any, dropped).
pub fn load_model(name_or_path: &str) -> Result<Model, RunError> {
    if is_onnx(name_or_path) {
        return Ok(load_network(name_or_path)?.model);
    }
    Ok(Model::load(name_or_path)?)
}

/// A model with its weights: an ONNX file.
pub fn load_network(path: &str) -> Result<Network, RunError> {
    if !is_onnx(path) {
        // a built-in or TOML model describes shapes only
        let m = Model::load(path)?;
        return Err(RunError::Graph {
            layer: m.layers[0].name.clone(),
            reason: format!(
                "model `{}` ({path}) has no weights: give an ONNX file (.onnx) to run on data",
                m.name
            ),
        });
    }
    let i = onnx_import::load(Path::new(path)).map_err(|e| RunError::Onnx(Box::new(e)))?;
    Ok(Network {
        model: i.model,
        params: i.params,
        softmax: i.softmax,
        ignored: i.ignored,
    })
}
