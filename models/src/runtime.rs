//! ONNX Runtime: loading the shared library, the process-wide environment and sessions
//! on the chosen execution provider.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;

use crate::error::{Error, Result};

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// CPU execution provider.
    #[default]
    Cpu,
    /// CUDA execution provider, required: an error when it cannot be used.
    Cuda,
    /// CUDA when it can be used, else CPU (logged).
    Auto,
}

impl Device {
    /// Parses `cpu`, `cuda` or `auto`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Some(Device::Cpu),
            "cuda" | "gpu" => Some(Device::Cuda),
            "auto" => Some(Device::Auto),
            _ => None,
        }
    }
}

/// What `swipy doctor` reports about the runtime.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuntimeInfo {
    /// ONNX Runtime version, e.g. `1.32.0` (or `unknown`).
    pub version: String,
    /// The library file that was loaded.
    pub library: PathBuf,
    /// Execution providers this build can use with this library (`CPUExecutionProvider`, ...).
    pub providers: Vec<String>,
    /// Whether this build has the CUDA execution provider compiled in.
    pub cuda_feature: bool,
}

struct Runtime {
    env: Environment,
    info: RuntimeInfo,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Library file name on this platform (`libonnxruntime.so`, `onnxruntime.dll`, ...).
pub fn library_file_name() -> String {
    format!(
        "{}onnxruntime{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Candidate locations of the ONNX Runtime library, in lookup order:
/// `$ORT_DYLIB_PATH`, `<exe dir>/../ort/<lib>`, `<exe dir>/ort/<lib>`, then `<data_dir>/ort/<lib>`.
pub fn runtime_library_candidates(data_dir: Option<&Path>) -> Vec<PathBuf> {
    let lib = library_file_name();
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        if let Some(up) = dir.parent() {
            out.push(up.join("ort").join(&lib));
        }
        out.push(dir.join("ort").join(&lib));
    }
    if let Some(d) = data_dir {
        out.push(d.join("ort").join(&lib));
    }
    out
}

/// The first existing candidate of [`runtime_library_candidates`].
pub fn find_runtime_library(data_dir: Option<&Path>) -> Option<PathBuf> {
    runtime_library_candidates(data_dir)
        .into_iter()
        .find(|p| p.is_file())
}

/// Loads ONNX Runtime (once per process) from `lib`, or from the first existing
/// [`runtime_library_candidates`] when `None`. Later calls return the first result's info.
pub fn init_runtime(lib: Option<&Path>) -> Result<RuntimeInfo> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt.info.clone());
    }
    let _guard = INIT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt.info.clone());
    }
    let path = match lib {
        Some(p) => p.to_path_buf(),
        None => find_runtime_library(None).ok_or_else(|| {
            let tried: Vec<String> = runtime_library_candidates(None)
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            Error::RuntimeMissing(format!(
                "{} not found (tried: {}); run `cargo xtask models` or set ORT_DYLIB_PATH",
                library_file_name(),
                if tried.is_empty() {
                    "nothing".to_string()
                } else {
                    tried.join(", ")
                }
            ))
        })?,
    };
    if !path.is_file() {
        return Err(Error::RuntimeMissing(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let builder = ort::init_from(&path).map_err(|e| Error::RuntimeMissing(e.to_string()))?;
    let env = builder
        .with_name("swipy")
        .with_telemetry(false)
        .build()
        .map_err(|e| Error::ort("environment", e))?;
    let version = runtime_version(&path);
    let mut providers = vec!["CPUExecutionProvider".to_string()];
    if cuda_compiled_in() && cuda_available() {
        providers.push("CUDAExecutionProvider".to_string());
    }
    let info = RuntimeInfo {
        version,
        library: path.clone(),
        providers,
        cuda_feature: cuda_compiled_in(),
    };
    log::info!(
        "ONNX Runtime {} loaded from {} (providers: {})",
        info.version,
        path.display(),
        info.providers.join(", ")
    );
    let _ = RUNTIME.set(Runtime {
        env,
        info: info.clone(),
    });
    Ok(info)
}

/// Info of the loaded runtime, if [`init_runtime`] succeeded.
pub fn runtime_info() -> Option<RuntimeInfo> {
    RUNTIME.get().map(|r| r.info.clone())
}

fn environment() -> Result<&'static Environment> {
    if RUNTIME.get().is_none() {
        init_runtime(None)?;
    }
    RUNTIME
        .get()
        .map(|r| &r.env)
        .ok_or_else(|| Error::RuntimeMissing("not initialised".into()))
}

fn runtime_version(path: &Path) -> String {
    if let Some(v) = library_version(path) {
        return v;
    }
    // Fall back to the versioned file name a symlink points at (libonnxruntime.so.1.32.0).
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.split_once(std::env::consts::DLL_SUFFIX) {
        Some((_, v)) if v.starts_with('.') && v.len() > 1 => v[1..].to_string(),
        _ => "unknown".to_string(),
    }
}

/// The library's own version string (`OrtGetApiBase()->GetVersionString()`).
#[allow(unsafe_code)]
fn library_version(path: &Path) -> Option<String> {
    // SAFETY: `path` was just loaded successfully by ort as an ONNX Runtime library, whose C
    // entry point `OrtGetApiBase` has this signature in every release; the version string
    // it returns is a static NUL-terminated buffer, copied before the handle is dropped
    // (dropping only decrements the loader's reference count: ort keeps its own handle).
    unsafe {
        let lib = libloading::Library::new(path).ok()?;
        let get: libloading::Symbol<
            '_,
            unsafe extern "system" fn() -> *const ort::sys::OrtApiBase,
        > = lib.get(b"OrtGetApiBase").ok()?;
        let base = get();
        if base.is_null() {
            return None;
        }
        let s = ((*base).GetVersionString)();
        if s.is_null() {
            return None;
        }
        let v = std::ffi::CStr::from_ptr(s).to_string_lossy().into_owned();
        (!v.is_empty()).then_some(v)
    }
}

fn cuda_compiled_in() -> bool {
    cfg!(feature = "cuda")
}

#[cfg(feature = "cuda")]
fn cuda_available() -> bool {
    use ort::ep::ExecutionProvider;
    ort::ep::CUDA::is_available().unwrap_or(false)
}

#[cfg(not(feature = "cuda"))]
fn cuda_available() -> bool {
    false
}

/// How a session is loaded.
pub(crate) enum ModelSource<'a> {
    File(&'a Path),
    Memory(&'a [u8]),
}

/// Creates a session on `device`; returns it with the name of the execution provider in use.
pub(crate) fn create_session(
    src: ModelSource<'_>,
    device: Device,
    threads: usize,
    what: &str,
) -> Result<(Session, &'static str)> {
    create_session_with(src, device, threads, what, SessionMemory::OwnArena)
}

/// Where a session's activations live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionMemory {
    /// Its own arena, kept at its high-water mark, grown in powers of two (the text model).
    OwnArena,
    /// One arena on the environment shared by the sessions that ask for it (the image
    /// models), no memory pattern: grown by exactly what a run asks and reused across runs
    /// and sessions. With no arena at all, each face worker's detector runs left about
    /// 200 MiB of freed activations in the process (models/README.md).
    Shared,
}

/// [`create_session`] with the session's memory chosen (see [`SessionMemory`]).
pub(crate) fn create_session_with(
    src: ModelSource<'_>,
    device: Device,
    threads: usize,
    what: &str,
    memory: SessionMemory,
) -> Result<(Session, &'static str)> {
    let env = environment()?;
    let commit = |b: ort::session::builder::SessionBuilder| -> Result<Session> {
        let mut b = b;
        match src {
            ModelSource::File(p) => b
                .commit_from_file(p)
                .map_err(|e| Error::ort(&format!("loading {what} from {}", p.display()), e)),
            ModelSource::Memory(bytes) => b
                .commit_from_memory(bytes)
                .map_err(|e| Error::ort(&format!("loading {what}"), e)),
        }
    };
    let cpu_builder = || -> Result<ort::session::builder::SessionBuilder> {
        let b = Session::builder(env).map_err(|e| Error::ort("session builder", e))?;
        let mut b = b
            .with_intra_threads(threads.max(1))
            .map_err(|e| Error::ort("session threads", e))?;
        if memory != SessionMemory::OwnArena {
            b = b
                .with_memory_pattern(false)
                .map_err(|e| Error::ort("session memory pattern", e))?;
        }
        match memory {
            SessionMemory::OwnArena => {}
            SessionMemory::Shared => {
                shared_arena(env)?;
                b = b
                    .with_env_allocators()
                    .map_err(|e| Error::ort("session env allocators", e))?;
            }
        }
        Ok(b)
    };
    match device {
        Device::Cpu => {
            let s = commit(cpu_builder()?)?;
            log::info!("{what}: CPU execution provider ({threads} thread(s))");
            Ok((s, "CPUExecutionProvider"))
        }
        Device::Cuda => {
            let s = cuda_session(cpu_builder()?, &commit, what)?;
            Ok((s, "CUDAExecutionProvider"))
        }
        Device::Auto => match cuda_session(cpu_builder()?, &commit, what) {
            Ok(s) => Ok((s, "CUDAExecutionProvider")),
            Err(e) => {
                log::info!(
                    "{what}: CUDA not used ({e}); falling back to the CPU execution provider"
                );
                let s = commit(cpu_builder()?)?;
                log::info!("{what}: CPU execution provider ({threads} thread(s))");
                Ok((s, "CPUExecutionProvider"))
            }
        },
    }
}

/// Registers (once) the environment's CPU arena that [`SessionMemory::Shared`] sessions use:
/// `arena_extend_strategy` 1 (`kSameAsRequested`): it grows by exactly what a run asks,
/// never to the next power of two.
#[allow(unsafe_code)]
fn shared_arena(env: &Environment) -> Result<()> {
    static DONE: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        use ort::AsPointer;
        let api = ort::api();
        // SAFETY: every pointer passed is valid for the call; the config and the memory info
        // are released exactly once, on every path (the environment copies what it needs).
        unsafe {
            let check = |st: ort::sys::OrtStatusPtr| -> std::result::Result<(), String> {
                if st.0.is_null() {
                    return Ok(());
                }
                let msg = std::ffi::CStr::from_ptr((api.GetErrorMessage)(st.0))
                    .to_string_lossy()
                    .into_owned();
                (api.ReleaseStatus)(st.0);
                Err(msg)
            };
            let keys = [c"arena_extend_strategy".as_ptr()];
            let values = [1usize];
            let mut cfg = std::ptr::null_mut();
            check((api.CreateArenaCfgV2)(
                keys.as_ptr(),
                values.as_ptr(),
                1,
                &mut cfg,
            ))?;
            let mut mi = std::ptr::null_mut();
            let r = check((api.CreateCpuMemoryInfo)(
                ort::sys::OrtAllocatorType::OrtArenaAllocator,
                ort::sys::OrtMemType::OrtMemTypeDefault,
                &mut mi,
            ))
            .and_then(|()| {
                let r = check((api.CreateAndRegisterAllocator)(
                    env.ptr().cast_mut(),
                    mi,
                    cfg,
                ));
                (api.ReleaseMemoryInfo)(mi);
                r
            });
            (api.ReleaseArenaCfg)(cfg);
            r
        }
    })
    .clone()
    .map_err(|m| Error::Runtime(format!("cannot register the shared CPU arena: {m}")))
}

#[cfg(feature = "cuda")]
fn cuda_session(
    b: ort::session::builder::SessionBuilder,
    commit: &dyn Fn(ort::session::builder::SessionBuilder) -> Result<Session>,
    what: &str,
) -> Result<Session> {
    // TF32 off: scores on the GPU stay within 1e-3 of the CPU's (models/gpu_check.sh checks it).
    let ep = ort::ep::CUDA::default()
        .with_tf32(false)
        .build()
        .error_on_failure();
    let b = b
        .with_execution_providers([ep])
        .map_err(|e| Error::Provider {
            provider: "CUDA".into(),
            message: e.to_string(),
        })?;
    let s = commit(b).map_err(|e| Error::Provider {
        provider: "CUDA".into(),
        message: e.to_string(),
    })?;
    log::info!("{what}: CUDA execution provider");
    Ok(s)
}

#[cfg(not(feature = "cuda"))]
fn cuda_session(
    _b: ort::session::builder::SessionBuilder,
    _commit: &dyn Fn(ort::session::builder::SessionBuilder) -> Result<Session>,
    _what: &str,
) -> Result<Session> {
    Err(Error::Provider {
        provider: "CUDA".into(),
        message: "this build has no CUDA support (build with the `cuda` feature)".into(),
    })
}

/// Default intra-op thread cap: the available parallelism, at most 8.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}
