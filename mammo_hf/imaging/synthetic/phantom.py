r"""Phantom mammograms: compressed-breast outline, skin line, pectoral muscle (MLO), fibroglandular texture graded
by BI-RADS density, masses and calcification clusters placed consistently in CC and MLO.

Geometry and display convention (documented once, used everywhere in mammo-hf's synthetic data):

- The image is portrait `(H, W)`; the **right breast has its chest wall on the image's right** (nipple pointing
  left) and the **left breast on the image's left** (nipple pointing right), i.e. the standard back-to-back
  hanging. PatientOrientation is written accordingly (`L CC = A\R`, `R CC = P\L`, `L MLO = A\F`, `R MLO = P\F`).
- CC: lateral tissue at the top of the image. MLO: superolateral tissue (axillary tail, pectoral muscle) at the top,
  the pectoral muscle a triangle in the chest-wall/top corner, the inframammary fold at the bottom.
- A finding is placed in breast coordinates (`depth` from the nipple, medio-lateral `ml`, cranio-caudal `cc`), so it
  appears at the same distance from the nipple in both views: the rule radiologists use to match a lesion across
  CC and MLO.

All smooth fields (tissue texture) are made at a working resolution of at most 512 px and upsampled; the outline,
skin, findings and quantum noise are drawn at full resolution. Sizes are physical (the image height is taken to
span `FIELD_OF_VIEW_MM`), so the same breast looks the same at 1024x832 and at 3328x2560.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "DENSITY_FRACTIONS",
    "FIELD_OF_VIEW_MM",
    "Finding",
    "BreastSpec",
    "FindingAnnotation",
    "RenderedView",
    "render_view",
    "render_view_annotated",
    "pixel_spacing_mm",
]

# Height of the detector the image covers, in mm (a 24x30 cm detector in portrait): sets the physical scale.
FIELD_OF_VIEW_MM = 300.0

# Target fibroglandular fraction of the breast area per BI-RADS density category (5th edition: A almost entirely
# fatty, B scattered, C heterogeneously dense, D extremely dense). The renderer hits these fractions (+/- the per
# breast jitter in `BreastSpec.dense_fraction`) exactly, by thresholding at the matching quantile.
DENSITY_FRACTIONS: dict[str, float] = {"A": 0.10, "B": 0.30, "C": 0.55, "D": 0.80}

View = Literal["CC", "MLO"]


@dataclass(frozen=True)
class Finding:
    """One lesion, in breast coordinates shared by both views.

    Attributes:
        kind: `"mass"` or `"calcification"` (a cluster of specks).
        depth: Distance from the nipple as a fraction of the nipple-to-chest-wall length (0 = nipple, 1 = wall).
        ml: Medio-lateral position, -1 (medial) .. +1 (lateral).
        cc: Cranio-caudal position, -1 (inferior) .. +1 (superior). Only the MLO shows it.
        size_mm: Mass radius, or calcification cluster radius, in mm.
        shape: Mass: `"round"`, `"oval"`, `"irregular"`, `"spiculated"`. Calcifications: `"punctate"` (benign,
            round, uniform) or `"pleomorphic"` (malignant-looking, varied, some linear).
        count: Number of specks in a calcification cluster (ignored for masses).
        contrast: Extra attenuation relative to the tissue (0.1 subtle .. 0.5 obvious).
        seed: Seed of the lesion's own shape (margins, spicules, speck layout).
    """

    kind: Literal["mass", "calcification"]
    depth: float
    ml: float
    cc: float
    size_mm: float
    shape: str = "round"
    count: int = 0
    contrast: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("mass", "calcification"):
            raise ValueError(f"Finding.kind must be 'mass' or 'calcification', got {self.kind!r}")
        if not 0.0 <= self.depth <= 1.0:
            raise ValueError(f"Finding.depth must be in [0, 1], got {self.depth}")
        if not (-1.0 <= self.ml <= 1.0 and -1.0 <= self.cc <= 1.0):
            raise ValueError(f"Finding.ml and Finding.cc must be in [-1, 1], got {self.ml}, {self.cc}")
        if self.size_mm <= 0:
            raise ValueError(f"Finding.size_mm must be > 0, got {self.size_mm}")


@dataclass(frozen=True)
class BreastSpec:
    """Everything needed to render one breast in any view, plus its labels.

    The anatomy fields have sensible defaults, so `BreastSpec(laterality="L", density="C")` renders; `sample_exams`
    randomises them per breast.

    Attributes:
        laterality: `"L"` or `"R"`.
        density: BI-RADS density `"A"`..`"D"`.
        birads: BI-RADS assessment 0..6 (the generator uses 1..5).
        pathology: `"normal"`, `"benign"` or `"malignant"`.
        findings: The lesions.
        patient_index: Index of the synthetic patient the breast belongs to.
        seed: Seed of the anatomy and texture (both views of a breast share it).
        length: Nipple-to-chest-wall length on CC, as a fraction of the image width (0.45..0.85).
        half_height: Half of the breast extent along the chest wall on CC, as a fraction of the image height.
        pectoral: Pectoral muscle size on MLO (fraction of the image height reached along the chest wall).
        dense_fraction: Fibroglandular area fraction; `None` = `DENSITY_FRACTIONS[density]`.

    Example:
        >>> b = BreastSpec(laterality="L", density="C")
        >>> b.cancer, b.pathology
        (0, 'normal')
    """

    laterality: Literal["L", "R"]
    density: str = "B"
    birads: int = 1
    pathology: str = "normal"
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    patient_index: int = 0
    seed: int = 0
    length: float = 0.68
    half_height: float = 0.40
    pectoral: float = 0.50
    dense_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.laterality not in ("L", "R"):
            raise ValueError(f"BreastSpec.laterality must be 'L' or 'R', got {self.laterality!r}")
        if self.density not in DENSITY_FRACTIONS:
            raise ValueError(f"BreastSpec.density must be one of A, B, C, D, got {self.density!r}")
        if self.pathology not in ("normal", "benign", "malignant"):
            raise ValueError(f"BreastSpec.pathology must be normal, benign or malignant, got {self.pathology!r}")
        if not 0 <= int(self.birads) <= 6:
            raise ValueError(f"BreastSpec.birads must be in 0..6, got {self.birads}")
        if not 0.3 <= self.length <= 0.95 or not 0.2 <= self.half_height <= 0.48:
            raise ValueError("BreastSpec.length must be in [0.3, 0.95] and half_height in [0.2, 0.48]")

    @property
    def cancer(self) -> int:
        """1 when the breast has a malignant lesion, else 0."""
        return int(self.pathology == "malignant")

    @property
    def target_dense_fraction(self) -> float:
        return float(self.dense_fraction if self.dense_fraction is not None else DENSITY_FRACTIONS[self.density])

    @property
    def finding_summary(self) -> str:
        """`"none"`, `"mass"`, `"calcification"` or `"mass+calcification"`."""
        kinds = sorted({f.kind for f in self.findings})
        return "+".join(kinds) if kinds else "none"


@dataclass(frozen=True)
class FindingAnnotation:
    """Where a finding landed in one rendered view (pixel coordinates of the returned, possibly flipped, image).

    Attributes:
        kind: `"mass"` or `"calcification"`.
        center: `(row, col)` of the lesion centre.
        box: `(top, left, bottom, right)`, bottom/right exclusive, clipped to the image.
        nipple_distance: Distance from the nipple in pixels (matches across CC and MLO up to projection).
        finding_index: Index in `BreastSpec.findings`.
    """

    kind: str
    center: tuple[float, float]
    box: tuple[int, int, int, int]
    nipple_distance: float
    finding_index: int


@dataclass
class RenderedView:
    """Output of `render_view_annotated`.

    Attributes:
        pixels: `uint16` image (also for `bits_stored=8`), bright = dense, values below `2**bits_stored`.
        breast_mask: Boolean mask of the breast (skin included).
        pectoral_mask: Boolean mask of the pectoral muscle (all False on CC).
        nipple: `(row, col)` of the nipple.
        findings: One `FindingAnnotation` per lesion.
        dense_fraction: Realised fibroglandular fraction of the breast area.
        view: `"CC"` or `"MLO"`.
        laterality: `"L"` or `"R"`.
    """

    pixels: np.ndarray
    breast_mask: np.ndarray
    pectoral_mask: np.ndarray
    nipple: tuple[float, float]
    findings: list[FindingAnnotation]
    dense_fraction: float
    view: str
    laterality: str


def pixel_spacing_mm(shape: tuple[int, int]) -> tuple[float, float]:
    """Pixel spacing `(row_mm, col_mm)` implied by the phantom's physical scale for an image of `shape`.

    Example:
        >>> pixel_spacing_mm((3000, 2400))
        (0.1, 0.1)
    """
    s = round(FIELD_OF_VIEW_MM / float(shape[0]), 6)
    return (s, s)


def _rng(*parts: object) -> np.random.Generator:
    # Stable across processes and platforms (unlike hash()): sha256 of the parts seeds a PCG64.
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _power_noise(rng: np.random.Generator, shape: tuple[int, int], beta: float, aniso: float = 1.0) -> np.ndarray:
    """Zero-mean, unit-variance noise with power spectrum ~ 1/f**beta (beta ~ 3 matches breast parenchyma).

    `aniso` > 1 stretches the correlation along axis 0 (used in polar coordinates for radial structures).
    """
    h, w = shape
    fy = np.fft.fftfreq(h)[:, None] * aniso  # higher weight on axis-0 frequencies = longer correlation there
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fy * fy + fx * fx)
    f[0, 0] = 1.0
    amp = f ** (-beta / 2.0)
    amp[0, 0] = 0.0
    spec = (rng.standard_normal((h, w // 2 + 1)) + 1j * rng.standard_normal((h, w // 2 + 1))) * amp
    out = np.fft.irfft2(spec, s=(h, w)).astype(np.float32)
    out -= out.mean()
    out /= out.std() + 1e-8
    return out


def _bilinear(img: np.ndarray, yy: np.ndarray, xx: np.ndarray, wrap_x: bool = False) -> np.ndarray:
    """Sample `img` at fractional coordinates (clamped rows; wrapped or clamped columns)."""
    h, w = img.shape
    yy = np.clip(yy, 0, h - 1.001)
    y0 = np.floor(yy).astype(np.int64)
    fy = (yy - y0).astype(np.float32)
    if wrap_x:
        xx = np.mod(xx, w)
        x0 = np.floor(xx).astype(np.int64) % w
        x1 = (x0 + 1) % w
    else:
        xx = np.clip(xx, 0, w - 1.001)
        x0 = np.floor(xx).astype(np.int64)
        x1 = x0 + 1
    fx = (xx - np.floor(xx)).astype(np.float32)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bot = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x1] * fx
    return top * (1 - fy) + bot * fy


def _resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    if img.shape == shape:
        return img.astype(np.float32, copy=False)
    return np.asarray(
        Image.fromarray(img.astype(np.float32, copy=False)).resize((shape[1], shape[0]), Image.Resampling.BILINEAR),
        dtype=np.float32,
    )


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass(frozen=True)
class _Geometry:
    """Outline of one view in the canonical frame (chest wall at x = 0, nipple pointing to +x), in pixels."""

    a: float  # nipple-to-chest-wall length
    yc: float  # vertical position of the nipple axis at the chest wall
    b_up: float  # half extent above the axis (at the chest wall)
    b_down: float  # half extent below the axis
    shear: float  # the axis drops by `shear * x` (the breast sags on MLO)
    p: float  # superellipse exponents
    q: float

    @property
    def nipple(self) -> tuple[float, float]:
        return (self.yc + self.shear * self.a, self.a)

    def axis_y(self, x: np.ndarray | float) -> np.ndarray | float:
        return self.yc + self.shear * x

    def half_extent(self, x: float, up: bool) -> float:
        t = min(max(x / self.a, 0.0), 0.999)
        return (self.b_up if up else self.b_down) * (1.0 - t**self.p) ** (1.0 / self.q)

    def implicit(self, yy: np.ndarray, xx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F (< 1 inside) and an estimate of the distance to the outline in pixels, (1 - f) / |grad f|."""
        dy = yy - self.axis_y(xx)
        b = np.where(dy < 0, np.float32(self.b_up), np.float32(self.b_down))
        xn = np.maximum(xx, 0.0) / self.a
        yn = np.abs(dy) / b
        f = xn**self.p + yn**self.q
        gx = self.p * xn ** (self.p - 1) / self.a
        gy = self.q * yn ** (self.q - 1) / b
        # chain rule through the shear: d(dy)/dx = -shear
        gxx = gx - gy * np.sign(dy) * self.shear
        grad = np.sqrt(gxx * gxx + gy * gy) + 1e-6
        dist = (1.0 - f) / grad
        dist = np.where(xx < 0, -1.0, dist)
        return f, dist


def _geometry(breast: BreastSpec, view: str, shape: tuple[int, int]) -> _Geometry:
    h, w = shape
    r = _rng("anatomy", breast.seed, breast.laterality)
    jitter = r.uniform(-1, 1, size=4)
    a_cc = breast.length * w
    if view == "CC":
        return _Geometry(
            a=a_cc,
            yc=h * (0.5 + 0.02 * jitter[0]),
            b_up=breast.half_height * h * (1.0 + 0.04 * jitter[1]),  # lateral side (top) slightly fuller
            b_down=breast.half_height * h * (0.96 + 0.03 * jitter[2]),
            shear=0.0,
            p=2.0 + 0.3 * jitter[3],
            q=2.1,
        )
    # MLO: ~5% longer than CC (posterior tissue pulled in); the upper half extends past the top edge (axilla), the
    # lower half ends at the inframammary fold; the axis sags toward the nipple.
    return _Geometry(
        a=min(a_cc * 1.05, 0.95 * w),
        yc=h * (0.50 + 0.03 * jitter[0]),
        b_up=h * (0.78 + 0.05 * jitter[1]),
        b_down=h * (0.36 + 0.03 * jitter[2]) * breast.half_height / 0.40,
        shear=0.12 + 0.04 * jitter[3],
        p=1.8 + 0.2 * jitter[3],
        q=1.7,
    )


def _finding_center(geo: _Geometry, finding: Finding, view: str, a_ref: float) -> tuple[float, float]:
    """Canonical-frame (row, col) of a finding: same distance from the nipple in both views, per-view direction.

    The distance is `depth * a_ref` (the CC nipple-to-chest-wall length) in both views; the direction from the nipple
    comes from the medio-lateral position on CC and from the oblique (ml + cc) position on MLO.
    """
    if view == "CC":
        offset = finding.ml  # lateral (+) at the top
    else:
        # MLO is a ~45 degree oblique projection: superior and lateral both go to the top of the image.
        offset = float(np.clip((finding.cc + finding.ml) / np.sqrt(2.0), -1.0, 1.0))
    rho = max(finding.depth * a_ref, 1.0)
    ny, nx = geo.nipple
    phi = offset * 0.9
    y, x = ny, nx
    for _ in range(12):  # rotate toward the nipple axis until the point is well inside the outline
        y, x = ny - rho * np.sin(phi), nx - rho * np.cos(phi)
        f, dist = geo.implicit(np.float32(y), np.float32(x))
        if float(f) < 0.8 and float(dist) > 0:
            break
        phi *= 0.75
    return (float(y), float(x))


def _pectoral_fn(
    breast: BreastSpec, shape: tuple[int, int], geo: _Geometry
) -> tuple[float, float, float, np.random.Generator]:
    h, w = shape
    r = _rng("pectoral", breast.seed, breast.laterality)
    y_len = breast.pectoral * h * (1.0 + 0.08 * r.uniform(-1, 1))
    # Along the top edge the muscle covers most of the (axillary) breast width there.
    # Breast width along the top edge (solve the outline at y = 0, ignoring the small sag).
    top_width = geo.a * max(1.0 - (geo.yc / geo.b_up) ** geo.q, 0.05) ** (1 / geo.p)
    x_len = float(np.clip(top_width * r.uniform(0.5, 0.75), 0.12 * w, 0.55 * w))
    gamma = r.uniform(1.0, 1.15)  # > 1: the muscle edge bulges slightly (convex), as usual on MLO
    return y_len, x_len, gamma, r


def render_view_annotated(
    breast: BreastSpec,
    view: str,
    shape: tuple[int, int] = (1024, 832),
    bits_stored: int = 12,
    seed: int | None = None,
) -> RenderedView:
    """Render one view of a breast, with the breast mask, pectoral mask, nipple and finding boxes.

    Args:
        breast: The breast (anatomy, density, findings).
        view: `"CC"` or `"MLO"`.
        shape: `(H, W)` of the output.
        bits_stored: 8..16; the output uses `[0, 2**bits_stored - 1]` with the background near 0.
        seed: Seed of the view-specific noise (texture details and quantum noise); `None` derives it from
            `breast.seed`. Anatomy and findings always come from `breast`, so both views agree.

    Returns:
        A `RenderedView`.

    Example:
        >>> out = render_view_annotated(BreastSpec(laterality="R", density="B"), "MLO", shape=(256, 208))
        >>> out.pixels.shape, bool(out.pectoral_mask.any())
        ((256, 208), True)
    """
    view = str(view).upper()
    if view not in ("CC", "MLO"):
        raise ValueError(f"view must be 'CC' or 'MLO', got {view!r}")
    h, w = (int(shape[0]), int(shape[1]))
    if h < 32 or w < 32:
        raise ValueError(f"shape must be at least 32x32, got {shape}")
    if not 8 <= int(bits_stored) <= 16:
        raise ValueError(f"bits_stored must be between 8 and 16, got {bits_stored}")
    view_seed = seed if seed is not None else breast.seed
    geo = _geometry(breast, view, (h, w))
    mm = FIELD_OF_VIEW_MM / h  # mm per pixel

    # ---- outline, thickness and skin at full resolution -----------------------------------------------------
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    _, dist = geo.implicit(yy, xx)
    inside = dist > 0
    # Compressed breast: the edge is a half-cylinder of radius ~ half the compressed thickness (~25 mm), so the
    # traversed thickness falls as sqrt(1 - (1 - d/R)^2) over the last R mm: the dark periphery of a raw image.
    band = 22.0 / mm
    t = np.clip(dist / band, 0.0, 1.0)
    thickness = np.sqrt(np.clip(1.0 - (1.0 - t) ** 2, 0.0, 1.0)).astype(np.float32)
    skin_w = max(1.0, 1.6 / mm)  # ~1.5 mm skin seen tangentially
    skin = (np.exp(-(((dist - 0.5 * skin_w) / (0.6 * skin_w)) ** 2)) * (dist > -1.0)).astype(np.float32)
    soft_edge = _smoothstep(dist + 0.5).astype(np.float32)  # anti-aliased outline

    # ---- fibroglandular tissue at working resolution -------------------------------------------------------
    scale = max(h, w) / 384.0 if max(h, w) > 384 else 1.0
    lh, lw = max(int(round(h / scale)), 32), max(int(round(w / scale)), 32)
    ly = (np.arange(lh, dtype=np.float32)[:, None] + 0.5) * (h / lh) - 0.5
    lx = (np.arange(lw, dtype=np.float32)[None, :] + 0.5) * (w / lw) - 0.5
    _, ldist = geo.implicit(ly, lx)
    lin = ldist > 0
    ny, nx = geo.nipple
    rel_x = np.clip(lx / geo.a, 0.0, 1.2)
    # Prior: the glandular cone behind the nipple, thinning toward the chest wall (retromammary fat), absent in the
    # subcutaneous fat; on MLO the upper (superolateral) part carries more tissue, on CC the lateral (top) part.
    axis = geo.axis_y(lx)
    half = np.where(ly < axis, geo.b_up, geo.b_down) * np.clip(1.0 - rel_x**geo.p, 1e-3, 1.0) ** (1.0 / geo.q)
    perp = (ly - axis) / half
    upper_bias = 0.25 if view == "MLO" else 0.15
    prior = np.exp(-((perp / 0.75) ** 2)) * (1.0 + upper_bias * _smoothstep(0.5 - perp))
    prior *= _smoothstep((1.0 - rel_x) / 0.12 + 0.15) * _smoothstep(rel_x / 0.25 + 0.2)
    prior *= _smoothstep(ldist / (12.0 / (mm * scale)))
    r_tex = _rng("texture", breast.seed, breast.laterality, view, view_seed)
    blobs = _power_noise(r_tex, (lh, lw), beta=3.0)
    # Radial structures (ducts, Cooper's ligaments) converge on the nipple: noise stretched along the radius in
    # polar coordinates around the nipple, sampled back on the Cartesian grid.
    n_r, n_t = 128, 256
    polar = _power_noise(r_tex, (n_r, n_t), beta=2.6, aniso=5.0)
    rad = np.sqrt((ly - ny) ** 2 + (lx - nx) ** 2) / (1.2 * max(geo.a, 1.0)) * (n_r - 1)
    ang = (np.arctan2(ly - ny, nx - lx) / (2 * np.pi) + 0.5) * n_t
    strands = _bilinear(polar, rad, ang, wrap_x=True)
    # Fade the strands out near the nipple, where converging lines would read as a spiculated lesion.
    strands = strands * _smoothstep(rad / (0.25 * n_r))
    field_ = 0.6 * blobs + 0.5 * strands + 2.0 * prior
    frac = breast.target_dense_fraction
    values = field_[lin]
    tau = float(np.quantile(values, 1.0 - frac)) if values.size else 0.0
    dense_fraction = float((values > tau).mean()) if values.size else 0.0
    # Soft membership (a sigmoid around the density quantile): parenchyma fades into fat instead of the blotchy
    # look of a hard threshold, while "dense" (> 0.5) still covers exactly the target fraction.
    gland_lr = 1.0 / (1.0 + np.exp(-(field_ - tau) / 0.22))
    gland_lr *= _smoothstep(ldist / (6.0 / (mm * scale)))
    # Fat lobules and fine parenchymal structure: dense regions are not flat.
    fine = _power_noise(r_tex, (lh, lw), beta=2.2)
    gland_lr = np.clip(gland_lr * (0.82 + 0.18 * np.tanh(fine)) + 0.05 * strands * gland_lr, 0.0, 1.2)
    # Faint ligaments/vessels in the fat: high-pass of the radial strands.
    ligaments = np.clip(strands - 1.0, 0.0, None) * (1.0 - gland_lr) * lin
    gland = _resize(gland_lr.astype(np.float32), (h, w))
    ligaments = _resize(ligaments.astype(np.float32), (h, w))

    # ---- assemble (display domain, MONOCHROME2: bright = attenuating) ------------------------------------
    img = (0.10 + 0.20 * thickness) * soft_edge  # fat
    img += 0.36 * gland * np.sqrt(thickness) + 0.05 * ligaments * thickness
    img += 0.10 * skin

    pect_mask = np.zeros((h, w), dtype=bool)
    if view == "MLO":
        y_len, x_len, gamma, r_p = _pectoral_fn(breast, (h, w), geo)
        pf = (xx / x_len) ** gamma + (yy / y_len) ** gamma  # < 1 inside the muscle triangle
        edge_px = max(1.0, 1.2 / mm)
        g = (1.0 - pf) * min(x_len, y_len) / (gamma * 1.0)
        pm = _smoothstep(g / edge_px + 0.5) * (dist > 0)
        pect_mask = pm > 0.5
        # Fibre striations run along the muscle; brighter (thicker) toward the axilla corner.
        stri = _resize(_power_noise(_rng("fibres", breast.seed), (64, 64), beta=2.5, aniso=6.0), (h, w))
        level = 0.60 + 0.08 * (1.0 - np.clip(pf, 0.0, 1.0)) + 0.015 * stri
        img = img * (1.0 - pm) + np.maximum(img, level) * pm

    # ---- findings -------------------------------------------------------------------------------------------
    annotations: list[FindingAnnotation] = []
    for idx, finding in enumerate(breast.findings):
        cy, cx = _finding_center(geo, finding, view, a_ref=_geometry(breast, "CC", (h, w)).a)
        r_f = _rng("finding", breast.seed, idx, finding.seed)
        if finding.kind == "mass":
            box = _draw_mass(img, finding, (cy, cx), mm, view, r_f)
        else:
            box = _draw_calcs(img, finding, (cy, cx), mm, view, r_f)
        annotations.append(
            FindingAnnotation(
                kind=finding.kind,
                center=(cy, cx),
                box=box,
                nipple_distance=float(np.hypot(cy - geo.nipple[0], cx - geo.nipple[1])),
                finding_index=idx,
            )
        )

    # ---- detector: quantum noise, background, quantisation -------------------------------------------------
    r_n = _rng("noise", breast.seed, breast.laterality, view, view_seed)
    noise = r_n.standard_normal((h, w), dtype=np.float32)
    img = img + noise * (0.004 + 0.006 * np.sqrt(np.clip(img, 0.0, 1.0)))
    img = np.where(inside | (dist > -2.0), img, 0.012 + 0.004 * noise)
    # Detector saturation is soft: compress the few values above 0.85 (calcifications over a mass) instead of clipping.
    img = np.where(img > 0.85, 0.85 + 0.15 * np.tanh((img - 0.85) / 0.15), img)
    max_value = 2 ** int(bits_stored) - 1
    out = np.clip(img, 0.0, 1.0) * max_value
    out = np.round(out).astype(np.uint16)
    breast_mask = inside
    if breast.laterality == "R":  # chest wall on the image's right for the right breast
        out = np.ascontiguousarray(out[:, ::-1])
        breast_mask = np.ascontiguousarray(breast_mask[:, ::-1])
        pect_mask = np.ascontiguousarray(pect_mask[:, ::-1])
        annotations = [_flip_annotation(a, w) for a in annotations]
        nipple = (geo.nipple[0], w - 1 - geo.nipple[1])
    else:
        nipple = geo.nipple
    return RenderedView(
        pixels=out,
        breast_mask=breast_mask,
        pectoral_mask=pect_mask,
        nipple=(float(nipple[0]), float(nipple[1])),
        findings=annotations,
        dense_fraction=dense_fraction,
        view=view,
        laterality=breast.laterality,
    )


def render_view(
    breast: BreastSpec,
    view: str,
    shape: tuple[int, int] = (1024, 832),
    bits_stored: int = 12,
    seed: int | None = None,
) -> np.ndarray:
    """Render one view of a breast as a `uint16` array (bright = dense, background near 0).

    See `render_view_annotated` for the arguments; this returns only the pixels.

    Example:
        >>> px = render_view(BreastSpec(laterality="L", density="D"), "CC", shape=(256, 208), bits_stored=14)
        >>> px.dtype, int(px.max()) < 2**14, int(px[:, -8:].mean()) < int(px[:, :8].mean())
        (dtype('uint16'), True, True)
    """
    return render_view_annotated(breast, view, shape=shape, bits_stored=bits_stored, seed=seed).pixels


def _flip_annotation(a: FindingAnnotation, w: int) -> FindingAnnotation:
    top, left, bottom, right = a.box
    return FindingAnnotation(
        kind=a.kind,
        center=(a.center[0], w - 1 - a.center[1]),
        box=(top, w - right, bottom, w - left),
        nipple_distance=a.nipple_distance,
        finding_index=a.finding_index,
    )


def _clip_box(y0: float, x0: float, y1: float, x1: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    h, w = shape
    return (
        int(max(0, np.floor(y0))),
        int(max(0, np.floor(x0))),
        int(min(h, np.ceil(y1))),
        int(min(w, np.ceil(x1))),
    )


def _draw_mass(
    img: np.ndarray, finding: Finding, center: tuple[float, float], mm: float, view: str, r: np.random.Generator
) -> tuple[int, int, int, int]:
    h, w = img.shape
    radius = finding.size_mm / mm
    spiculated = finding.shape == "spiculated"
    reach = radius * (3.2 if spiculated else 1.6) + 2
    cy, cx = center
    box = _clip_box(cy - reach, cx - reach, cy + reach + 1, cx + reach + 1, (h, w))
    top, left, bottom, right = box
    if bottom <= top or right <= left:
        return box
    py = np.arange(top, bottom, dtype=np.float32)[:, None] - cy
    px = np.arange(left, right, dtype=np.float32)[None, :] - cx
    # The lesion is the same 3-D object in both views, seen at a different angle: rotate its outline by a
    # view-dependent angle rather than re-drawing a new shape.
    rot = r.uniform(0, 2 * np.pi) + (0.0 if view == "CC" else np.pi / 4)
    theta = np.arctan2(py, px) - rot
    rr = np.sqrt(py * py + px * px)
    aspect = {"round": 1.0, "oval": 0.65, "irregular": 0.85, "spiculated": 0.9}.get(finding.shape, 1.0)
    ell = rr * np.sqrt(np.cos(theta) ** 2 + (np.sin(theta) / aspect) ** 2)
    margin = np.ones_like(ell)
    if finding.shape in ("irregular", "spiculated"):
        for k in (3, 5, 7, 11):
            margin = margin + r.uniform(0.03, 0.10) * np.sin(k * theta + r.uniform(0, 2 * np.pi))
    sharp = 0.08 if finding.shape in ("round", "oval") else 0.22  # circumscribed vs ill-defined margin
    u = 1.0 - ell / (radius * margin)
    body = _smoothstep(u / sharp + 0.5) * (0.75 + 0.25 * _smoothstep(u * 2.0))
    if spiculated:
        n = int(r.integers(10, 20))
        angles = r.uniform(0, 2 * np.pi, size=n) + rot
        lengths = radius * r.uniform(1.4, 3.0, size=n)
        widths = max(0.6, 0.5 / mm) * r.uniform(0.8, 1.6, size=n)
        spic = np.zeros_like(rr)
        for ang, length, width in zip(angles, lengths, widths):
            along = px * np.cos(ang) + py * np.sin(ang)
            across = -px * np.sin(ang) + py * np.cos(ang)
            taper = np.clip(1.0 - along / length, 0.0, 1.0)
            line = np.exp(-((across / (width * (0.3 + taper))) ** 2)) * taper * (along > 0)
            spic = np.maximum(spic, line)
        body = np.maximum(body, 0.55 * spic)
    patch = img[top:bottom, left:right]
    patch += finding.contrast * body.astype(np.float32)
    return box


def _draw_calcs(
    img: np.ndarray, finding: Finding, center: tuple[float, float], mm: float, view: str, r: np.random.Generator
) -> tuple[int, int, int, int]:
    h, w = img.shape
    n = max(int(finding.count), 3)
    cluster = finding.size_mm
    # 3-D speck offsets (depth, ml, cc) in mm: CC shows (depth, ml), MLO shows (depth, oblique ml+cc).
    pts = r.normal(0.0, cluster / 2.0, size=(n, 3))
    if finding.shape == "pleomorphic":
        # Malignant-looking: segmental/linear arrangement along a duct, varied sizes.
        direction = r.normal(size=3)
        direction /= np.linalg.norm(direction) + 1e-9
        pts = pts * 0.35 + np.outer(r.normal(0.0, cluster, size=n), direction)
        sizes = r.uniform(0.15, 0.5, size=n)
        brightness = r.uniform(0.4, 0.9, size=n)
    else:
        sizes = r.uniform(0.2, 0.35, size=n)
        brightness = r.uniform(0.6, 0.8, size=n)
    cy, cx = center
    if view == "CC":
        dy, dx = -pts[:, 1], -pts[:, 0]
    else:
        dy, dx = -(pts[:, 1] + pts[:, 2]) / np.sqrt(2.0), -pts[:, 0]
    ys, xs = cy + dy / mm, cx + dx / mm
    reach = 3 * max(sizes.max() / mm, 1.0) + 1
    box = _clip_box(ys.min() - reach, xs.min() - reach, ys.max() + reach + 1, xs.max() + reach + 1, (h, w))
    for y, x, s, b in zip(ys, xs, sizes, brightness):
        # Sub-pixel specks keep their integrated brightness (a point source blurred by the detector MTF).
        sigma = max(s / mm, 0.7)
        peak = b * finding.contrast / 0.3 * min(1.0, (s / mm / 0.7) ** 2 + 0.35)
        half = int(np.ceil(3 * sigma)) + 1
        y0, y1 = max(0, int(y) - half), min(h, int(y) + half + 1)
        x0, x1 = max(0, int(x) - half), min(w, int(x) + half + 1)
        if y1 <= y0 or x1 <= x0:
            continue
        gy = np.arange(y0, y1, dtype=np.float32)[:, None] - y
        gx = np.arange(x0, x1, dtype=np.float32)[None, :] - x
        spot = np.exp(-(gy * gy + gx * gx) / (2 * sigma * sigma)) * peak
        img[y0:y1, x0:x1] += spot
    return box
