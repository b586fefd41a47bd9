r"""Fused steps for NumPy: in place, over cache-sized chunks, with preallocated scratch.

A literal transcription of a box makes a new array for every sub-expression, and each of them travels through
main memory. Here every array operation writes into ``out=`` buffers, and the parameter is cut into chunks of
:data:`CHUNK` elements, so the chunk of :math:`\theta, g, m, n` and the three scratch buffers stay in the CPU's
cache for the dozen operations of one step: memory sees each array about once (read :math:`\theta, g, m, n`,
write :math:`\theta, m, n`).

The state updates run in the reference's order of operations, so :math:`m` and :math:`n` come out bit-identical to
the reference rules; :math:`\theta` uses the folded coefficients of :mod:`nadam_ref.fused.coefficients` and agrees
to a few ulps. Each kernel takes ``(xp, theta, g, m, n, s, c, form)``: ``s`` is a triple of scratch arrays like
``theta``, ``c`` the coefficients, ``form`` where ε goes (:func:`nadam_ref.fused.form`).
"""

from __future__ import annotations

from ..backend import float_errors_ignored

#: Elements per chunk: 128k float32 is 512 KiB an array, so the seven arrays of a step (3.5 MiB) stay in L3.
#: Smaller chunks fit L2 better but pay NumPy's ~1 µs per call more often; on the 2-core EPYC this was tuned on,
#: 16k, 32k, 64k, 128k, 192k, 256k and 512k elements measured 22.6, 19.5, 19.3, 17.8, 17.4, 18.4 and 19.7 ms
#: (best of 9) for an Adam step on 10M float32 parameters; 128k and 192k tie within the noise, and 128k leaves
#: more of the shared L3 to others. The time is the ufunc passes themselves (Python's share: ≈ 1 ms at 64k).
CHUNK = 131072


def _average(xp, m, g, keep, take, s):
    """m ← keep·m + take·g, in place (the reference's order of operations)."""
    m *= keep
    xp.multiply(g, take, out=s)
    m += s


def _average_square(xp, n, g, keep, take, s):
    """n ← keep·n + take·g², in place."""
    n *= keep
    xp.square(g, out=s)
    s *= take
    n += s


def _decayed_max(xp, n, g, keep, s, c, form):
    """n ← max(keep·n, |g|), or max(keep·n, |g| + e) when ε sits in the max (form "max"), in place."""
    n *= keep
    xp.abs(g, out=s)
    if form == "max":
        s += c["e"]
    xp.maximum(n, s, out=n)


def _max_denominator(xp, n, c, form, out):
    """out ← n + e, or n itself when ε sat in the max (form "max")."""
    if form == "max":
        xp.copyto(out, n)
    else:
        xp.add(n, c["e"], out=out)


def _root(xp, n, c, form, out):
    """out ← √(n + e) ("inside"), √n + e ("outside") or √(n + r) + e ("both": optax's eps_root and ε)."""
    if form == "inside":
        xp.add(n, c["e"], out=out)
        xp.sqrt(out, out=out)
    elif form == "outside":
        xp.sqrt(n, out=out)
        out += c["e"]
    else:
        xp.add(n, c["r"], out=out)
        xp.sqrt(out, out=out)
        out += c["e"]


def _apply(theta, numerator, denominator):
    """θ ← θ − numerator / denominator; ``numerator`` is overwritten."""
    numerator /= denominator
    theta -= numerator


def _apply_scaled(xp, theta, x, coef, s):
    """θ ← θ − coef·(x / s[1]); ``s[1]`` is overwritten (in-place scaling is cheaper than a three-array multiply)."""
    denominator = s[1]
    xp.divide(x, denominator, out=denominator)
    denominator *= coef
    theta -= denominator


def gd(xp, theta, g, m, n, s, c, form):
    """θ ← θ − η g."""
    xp.multiply(g, c["lr"], out=s[0])
    theta -= s[0]


def momentum(xp, theta, g, m, n, s, c, form):
    """m ← μ_t m + g; θ ← θ − η m (also nag_lookahead's update, given its look-ahead gradient)."""
    m *= c["mu_t"]
    m += g
    xp.multiply(m, c["lr"], out=s[0])
    theta -= s[0]


def nag(xp, theta, g, m, n, s, c, form):
    """m ← μ_t m + g; θ ← θ − η (g + μ_{t+1} m)."""
    m *= c["mu_t"]
    m += g
    xp.multiply(m, c["mu_next"], out=s[0])
    s[0] += g
    s[0] *= c["lr"]
    theta -= s[0]


def adagrad(xp, theta, g, m, n, s, c, form):
    """n ← (n + n0) + g² (n0 is the starting accumulator at t = 1, else 0); θ ← θ − η g / root(n)."""
    if c["n0"]:
        n += c["n0"]
    xp.multiply(g, g, out=s[0])
    n += s[0]
    _root(xp, n, c, form, out=s[1])
    _apply_scaled(xp, theta, g, c["c_g"], s)


def rmsprop(xp, theta, g, m, n, s, c, form):
    """n ← ν n + (1 − ν) g²; θ ← θ − c_g g / root(n, e) (bias correction folded into c_g and e)."""
    _average_square(xp, n, g, c["nu"], c["one_minus_nu"], s[0])
    _root(xp, n, c, form, out=s[1])
    _apply_scaled(xp, theta, g, c["c_g"], s)


def adam(xp, theta, g, m, n, s, c, form):
    """m ← μ_t m + (1 − μ_t) g; n ← ν n + (1 − ν) g²; θ ← θ − c_m m / root(n, e)."""
    _average(xp, m, g, c["mu_t"], c["one_minus_mu_t"], s[0])
    _average_square(xp, n, g, c["nu"], c["one_minus_nu"], s[0])
    _root(xp, n, c, form, out=s[1])
    _apply_scaled(xp, theta, m, c["c_m"], s)


def adamax(xp, theta, g, m, n, s, c, form):
    """m ← μ_t m + (1 − μ_t) g; n ← max(ν n, |g|); θ ← θ − c_m m / (n + ε) (ε in the max: see _decayed_max)."""
    _average(xp, m, g, c["mu_t"], c["one_minus_mu_t"], s[0])
    _decayed_max(xp, n, g, c["nu"], s[0], c, form)
    _max_denominator(xp, n, c, form, out=s[1])
    _apply_scaled(xp, theta, m, c["c_m"], s)


def maxaprop(xp, theta, g, m, n, s, c, form):
    """n ← max(ν n, |g|); θ ← θ − η g / (n + ε)."""
    _decayed_max(xp, n, g, c["nu"], s[0], c, form)
    _max_denominator(xp, n, c, form, out=s[1])
    _apply_scaled(xp, theta, g, c["c_g"], s)


def _nesterov_numerator(xp, g, m, c, s):
    """s[0] ← c_g·g + c_m·m (η m̄ with the bias corrections folded in); uses s[2]."""
    xp.multiply(g, c["c_g"], out=s[0])
    xp.multiply(m, c["c_m"], out=s[2])
    s[0] += s[2]


def nadam(xp, theta, g, m, n, s, c, form):
    """m ← μ m + (1 − μ) g; n ← ν n + (1 − ν) g²; θ ← θ − (c_g g + c_m m) / root(n, e)."""
    _average(xp, m, g, c["mu"], c["one_minus_mu"], s[0])
    _average_square(xp, n, g, c["nu"], c["one_minus_nu"], s[0])
    _root(xp, n, c, form, out=s[1])
    _nesterov_numerator(xp, g, m, c, s)
    _apply(theta, s[0], s[1])


def nadamax(xp, theta, g, m, n, s, c, form):
    """m ← μ m + (1 − μ) g; n ← max(ν n, |g|); θ ← θ − (c_g g + c_m m) / (n + ε)."""
    _average(xp, m, g, c["mu"], c["one_minus_mu"], s[0])
    _decayed_max(xp, n, g, c["nu"], s[0], c, form)
    _max_denominator(xp, n, c, form, out=s[1])
    _nesterov_numerator(xp, g, m, c, s)
    _apply(theta, s[0], s[1])


#: nag_lookahead's update after its gradient is momentum's (see :mod:`nadam_ref.fused.coefficients`).
BY_RULE = {"gd": gd, "momentum": momentum, "nag": nag, "nag_lookahead": momentum, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam, "adamax": adamax, "maxaprop": maxaprop, "nadam": nadam,
           "nadamax": nadamax}


def all_finite(xp, g) -> bool:
    """True when ``g`` holds no NaN or inf, in one pass and without a temporary.

    A sum is finite unless an element is NaN or ±inf (inf − inf and NaN both give NaN) or the sum overflows; only
    then are min and max, which propagate NaN and show ±inf, asked for the exact answer.
    """
    with float_errors_ignored(xp):
        # g·g through BLAS reads g at memory speed (twice as fast as NumPy's pairwise sum); a 0-d or strided g
        # is summed instead. Only NaN, ±inf or an overflowing |g| make the result non-finite.
        flat = g.reshape(-1) if g.ndim and g.flags.c_contiguous else None
        if xp.isfinite(flat @ flat if flat is not None else g.sum()):
            return True
    return bool(xp.isfinite(g.min()) and xp.isfinite(g.max()))


def run(xp, kernel, theta, g, m, n, coef, form, workspace) -> None:
    """Apply ``kernel`` chunk by chunk when every array is C-contiguous, else once over the whole arrays."""
    coef = workspace.scalars(coef, theta)
    arrays = [a for a in (theta, g, m, n) if a is not None]
    if not all(a.flags.c_contiguous for a in arrays):
        # Strided parameters cannot be cut into flat chunks; one whole-array pass is still in place.
        kernel(xp, theta, g, m, n, workspace.scratch(theta.shape, theta), coef, form)
        return
    flat = [None if a is None else a.reshape(-1) for a in (theta, g, m, n)]
    size = theta.size
    scratch = workspace.scratch((CHUNK,), theta)
    for start in range(0, size, CHUNK):
        stop = min(start + CHUNK, size)
        views = [None if a is None else a[start:stop] for a in flat]
        kernel(xp, *views, [b[: stop - start] for b in scratch], coef, form)
