"""Runs one of madenet's exported ONNX files (src/pipeline/export) with PyTorch operators, so that PyTorch's
speed can be measured on exactly the network onnxruntime and tfjs run. Not a general ONNX runtime: it knows
the op types and attributes madenet's exporter emits (OPS below) and refuses anything else by name.

Weights become torch tensors once, at load. Modes:
  eager  every ONNX node is one torch call (BatchNormalization stays a separate F.batch_norm);
  fold   batch norms that directly follow a Conv/ConvTranspose are folded into its weights at load, the
         standard PyTorch inference rewrite (what torch.fx fusion and torch.jit.freeze do);
  jit    fold, then torch.jit.trace + torch.jit.freeze + torch.jit.optimize_for_inference.
Run under torch.inference_mode(). Needs python3-torch and python3-onnx (Debian 12: torch 1.13, onnx 1.12)."""
import warnings

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

MODES = ('eager', 'fold', 'jit')


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def _pads2d(pads):
    """ONNX [top, left, bottom, right] -> (symmetric padding or None, F.pad tuple)."""
    t, l, b, r = (list(pads) + [0, 0, 0, 0])[:4]
    return ((t, l) if (t, l) == (b, r) else None), (l, r, t, b)


def _lerp_up(x, dim, s):
    """Linear upsampling by the integer factor s along dim with ONNX 'asymmetric' coordinates (src = dst / s),
    the edge sample repeated: out[s*i + k] = x[i] (1 - k/s) + x[min(i+1, n-1)] k/s."""
    n = x.shape[dim]
    nxt = torch.cat([x.narrow(dim, 1, n - 1), x.narrow(dim, n - 1, 1)], dim)
    parts = [x if k == 0 else torch.lerp(x, nxt, k / s) for k in range(s)]
    y = torch.stack(parts, dim + 1)
    shape = list(x.shape)
    shape[dim] = n * s
    return y.reshape(shape)


class OnnxTorch(torch.nn.Module):
    """The graph of one madenet ONNX file as a torch Module: forward(images NHWC float32) -> outputs in graph order."""

    def __init__(self, path, mode='eager'):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'mode {mode}; expected one of {MODES}')
        model = onnx.load(path)
        g = model.graph
        self.inputs = [i.name for i in g.input if i.name not in {t.name for t in g.initializer}]
        self.outputs = [o.name for o in g.output]
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n)) for n in g.node]
        unknown = sorted({op for op, *_ in self.nodes} - set(OPS))
        if unknown:
            raise NotImplementedError(f'{path}: op types {unknown} are not implemented; expected only {sorted(OPS)}')
        if mode in ('fold', 'jit'):
            self._fold_batch_norms()

    def _fold_batch_norms(self):
        uses = {}
        for _, ins, _, _ in self.nodes:
            for i in ins:
                uses[i] = uses.get(i, 0) + 1
        producer = {outs[0]: k for k, (_, _, outs, _) in enumerate(self.nodes)}
        folded = set()
        for k, (op, ins, outs, at) in enumerate(self.nodes):
            src = producer.get(ins[0]) if op == 'BatchNormalization' else None
            if src is not None:
                cop, cins, couts, cat = self.nodes[src]
                if cop in ('Conv', 'ConvTranspose') and uses.get(couts[0], 0) == 1 and couts[0] not in self.outputs:
                    gamma, beta, mean, var = (self.consts[n] for n in ins[1:5])
                    scale = gamma / torch.sqrt(var + at.get('epsilon', 1e-5))
                    w = self.consts[cins[1]].clone()
                    # Conv weights are [out, in/g, kh, kw]; ConvTranspose [in, out/g, kh, kw] (group 1 here).
                    if cop == 'Conv':
                        w = w * scale.view(-1, 1, 1, 1)
                    else:
                        w = w * scale.view(1, -1, 1, 1)
                    b = self.consts[cins[2]] if len(cins) > 2 and cins[2] else torch.zeros_like(mean)
                    wname, bname = f'{cins[1]}/folded{k}', f'{cins[1]}/folded_bias{k}'
                    self.consts[wname], self.consts[bname] = w, (b - mean) * scale + beta
                    self.nodes[src] = (cop, [cins[0], wname, bname], [outs[0]], cat)
                    folded.add(k)
        self.nodes = [n for k, n in enumerate(self.nodes) if k not in folded]

    def forward(self, x):
        env = dict(self.consts)
        env[self.inputs[0]] = x
        for op, ins, outs, at in self.nodes:
            args = [env[i] if i else None for i in ins]
            env[outs[0]] = OPS[op](args, at)
        return tuple(env[o] for o in self.outputs)


def _conv(a, at):
    x, w = a[0], a[1]
    b = a[2] if len(a) > 2 else None
    if _text(at.get('auto_pad', 'NOTSET')) not in ('NOTSET', ''):
        raise NotImplementedError('Conv auto_pad')
    sym, full = _pads2d(at.get('pads', [0, 0, 0, 0]))
    if sym is None:
        x, sym = F.pad(x, full), (0, 0)
    return F.conv2d(x, w, b, stride=tuple(at.get('strides', [1, 1])), padding=sym, dilation=tuple(at.get('dilations', [1, 1])), groups=at.get('group', 1))


def _conv_transpose(a, at):
    x, w = a[0], a[1]
    b = a[2] if len(a) > 2 else None
    t, l, bt, r = at.get('pads', [0, 0, 0, 0])
    op = at.get('output_padding', [0, 0])
    if (t, l) != (bt, r):
        raise NotImplementedError('ConvTranspose with asymmetric pads')
    return F.conv_transpose2d(x, w, b, stride=tuple(at.get('strides', [1, 1])), padding=(t, l), output_padding=tuple(op), groups=at.get('group', 1))


def _pool(kind):
    def run(a, at):
        x = a[0]
        k, s = tuple(at['kernel_shape']), tuple(at.get('strides', [1, 1]))
        sym, full = _pads2d(at.get('pads', [0, 0, 0, 0]))
        if kind == 'max':
            if sym is None:
                x, sym = F.pad(x, full, value=float('-inf')), (0, 0)
            return F.max_pool2d(x, k, s, padding=sym)
        if sym is None:
            raise NotImplementedError('AveragePool with asymmetric pads')
        return F.avg_pool2d(x, k, s, padding=sym, count_include_pad=bool(at.get('count_include_pad', 0)))
    return run


def _resize(a, at):
    x = a[0]
    mode, coords = _text(at.get('mode', 'nearest')), _text(at.get('coordinate_transformation_mode', 'half_pixel'))
    sizes = a[3] if len(a) > 3 and a[3] is not None else None
    if sizes is not None:
        out_hw = [int(v) for v in sizes.tolist()[2:]]
    else:
        scales = a[2].tolist()
        out_hw = [int(round(int(x.shape[2]) * scales[2])), int(round(int(x.shape[3]) * scales[3]))]
    if mode == 'linear' and coords == 'half_pixel':
        return F.interpolate(x, size=out_hw, mode='bilinear', align_corners=False)
    h, w = int(x.shape[2]), int(x.shape[3])
    fh, fw = out_hw[0] // h, out_hw[1] // w
    if fh * h != out_hw[0] or fw * w != out_hw[1]:
        raise NotImplementedError(f'Resize {mode}/{coords} by a non-integer factor')
    if mode == 'linear' and coords == 'asymmetric':
        return _lerp_up(_lerp_up(x, 2, fh), 3, fw)
    if mode == 'nearest' and coords == 'asymmetric' and _text(at.get('nearest_mode', 'round_prefer_floor')) == 'floor':
        return F.interpolate(x, size=out_hw, mode='nearest')
    raise NotImplementedError(f'Resize mode {mode} with {coords} coordinates')


def _reshape(a, at):
    x, shape = a[0], [int(v) for v in a[1].tolist()]
    return x.reshape([x.shape[i] if d == 0 else d for i, d in enumerate(shape)])


def _reduce(fn):
    def run(a, at):
        axes = at.get('axes') if 'axes' in at else (a[1].tolist() if len(a) > 1 and a[1] is not None else None)
        keep = bool(at.get('keepdims', 1))
        if axes is None:
            axes = list(range(a[0].dim()))
        return fn(a[0], axes, keep)
    return run


def _reduce_max(x, axes, keep):
    for ax in sorted(axes, reverse=True):
        x = torch.amax(x, dim=ax, keepdim=keep)
    return x


def _slice(a, at):
    x = a[0]
    starts, ends = a[1].tolist(), a[2].tolist()
    axes = a[3].tolist() if len(a) > 3 and a[3] is not None else list(range(len(starts)))
    steps = a[4].tolist() if len(a) > 4 and a[4] is not None else [1] * len(starts)
    idx = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        n = x.shape[ax]
        idx[ax] = slice(max(s + n, 0) if s < 0 else min(s, n), max(e + n, 0) if e < 0 else min(e, n), st)
    return x[tuple(idx)]


def _gemm(a, at):
    x, w = a[0], a[1]
    if at.get('transA', 0):
        x = x.t()
    if at.get('transB', 0):
        w = w.t()
    alpha, beta = at.get('alpha', 1.0), at.get('beta', 1.0)
    if len(a) > 2 and a[2] is not None:
        return torch.addmm(a[2], x, w, beta=beta, alpha=alpha)
    return torch.mm(x, w) * alpha


def _transpose(a, at):
    y = a[0].permute(at['perm'])
    # The graph's NHWC -> NCHW input transpose: materialise, so PyTorch runs the plain NCHW layout its users feed.
    return y.contiguous() if y.dim() == 4 else y


def _pad(a, at):
    p = [int(v) for v in a[1].tolist()]
    if _text(at.get('mode', 'constant')) != 'constant' or len(p) != 8 or p[0] or p[1] or p[4] or p[5]:
        raise NotImplementedError(f'Pad {at.get("mode")} {p}; expected constant spatial padding of NCHW')
    value = a[2].item() if len(a) > 2 and a[2] is not None else 0.0
    return F.pad(a[0], (p[3], p[7], p[2], p[6]), value=value)


def _clip(a, at):
    lo = a[1].item() if len(a) > 1 and a[1] is not None else at.get('min')
    hi = a[2].item() if len(a) > 2 and a[2] is not None else at.get('max')
    return torch.clamp(a[0], lo, hi)


OPS = {
    'Conv': _conv,
    'ConvTranspose': _conv_transpose,
    'BatchNormalization': lambda a, at: F.batch_norm(a[0], a[3], a[4], a[1], a[2], False, 0.0, at.get('epsilon', 1e-5)),
    'Relu': lambda a, at: F.relu(a[0]),
    'LeakyRelu': lambda a, at: F.leaky_relu(a[0], at.get('alpha', 0.01)),
    'Sigmoid': lambda a, at: torch.sigmoid(a[0]),
    'Tanh': lambda a, at: torch.tanh(a[0]),
    'Elu': lambda a, at: F.elu(a[0], at.get('alpha', 1.0)),
    'Selu': lambda a, at: F.selu(a[0]),
    'Softplus': lambda a, at: F.softplus(a[0]),
    'Softsign': lambda a, at: F.softsign(a[0]),
    'Clip': _clip,
    'Softmax': lambda a, at: F.softmax(a[0], dim=at.get('axis', -1)),
    'Add': lambda a, at: a[0] + a[1],
    'Sub': lambda a, at: a[0] - a[1],
    'Mul': lambda a, at: a[0] * a[1],
    'Div': lambda a, at: a[0] / a[1],
    'Max': lambda a, at: torch.maximum(a[0], a[1]),
    'Min': lambda a, at: torch.minimum(a[0], a[1]),
    'Neg': lambda a, at: -a[0],
    'Sqrt': lambda a, at: torch.sqrt(a[0]),
    'Identity': lambda a, at: a[0],
    'Concat': lambda a, at: torch.cat(a, dim=at['axis']),
    'Reshape': _reshape,
    'Flatten': lambda a, at: a[0].reshape(a[0].shape[0] if at.get('axis', 1) == 1 else -1, -1),
    'Transpose': _transpose,
    'Squeeze': lambda a, at: a[0].squeeze(int(a[1].tolist()[0])) if len(a) > 1 else a[0].squeeze(),
    'Gather': lambda a, at: torch.index_select(a[0], at.get('axis', 0), a[1].reshape(-1)),
    'Slice': _slice,
    'Pad': _pad,
    'Shape': lambda a, at: torch.tensor(list(a[0].shape)[at.get('start', 0):at.get('end', a[0].dim())], dtype=torch.int64),
    'Resize': _resize,
    'MaxPool': _pool('max'),
    'AveragePool': _pool('avg'),
    'ReduceMax': _reduce(_reduce_max),
    'ReduceMean': _reduce(lambda x, axes, keep: torch.mean(x, dim=axes, keepdim=keep)),
    'ReduceSum': _reduce(lambda x, axes, keep: torch.sum(x, dim=axes, keepdim=keep)),
    'Gemm': _gemm,
    'MatMul': lambda a, at: torch.matmul(a[0], a[1]),
}


def load(path, mode='eager', example=None):
    """The file as a callable images(np/torch NHWC) -> tuple of torch outputs, in the given mode (jit needs example)."""
    net = OnnxTorch(path, mode).eval()
    if mode != 'jit':
        return net
    with torch.no_grad(), warnings.catch_warnings():
        # Shapes and constant index tensors become trace constants: right for one fixed input shape.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        traced = torch.jit.trace(net, (example,), check_trace=False)
        frozen = torch.jit.freeze(traced)
        return torch.jit.optimize_for_inference(frozen)


def max_abs_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float('inf')
    return float(np.max(np.abs(a - b))) if a.size else 0.0
