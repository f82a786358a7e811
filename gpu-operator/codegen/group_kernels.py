#!/usr/bin/env python3
"""Writes the per-format kernel methods of GroupDot.java and GroupPanel.java (backend/cpu).

One method per GGUF block format, because JDK 17's C2 compiles a kernel well only when its
format's constants are its own (a shared kernel with a format flag measured 2-5x slower; see
GroupDot's class comment). The methods are alike by design; this script is where they are edited.
Each file keeps its own header (package, imports, class comment, constants: everything before the
first method, edited in the Java file); the methods after it are replaced.

    python3 gpu-operator/codegen/group_kernels.py      # then: mvn -o -pl gpu-operator test
"""
import os
FORMATS = {
  'q8_0': dict(kind='int8', sub=32, offsets=False, zero=0, doc='Q8_0: {@code w = d·q}, 16 scales per 32 columns.'),
  'q6K':  dict(kind='int8', sub=16, offsets=False, zero=0, kquant=True, doc='Q6_K as held ({@code q − 32} as int8): {@code w = d·sc·q}, scales per 16 columns.'),
  'q4_0': dict(kind='nibble', sub=32, offsets=False, zero=8, doc='Q4_0: {@code w = d·(q − 8)}, the 8 taken off the nibble.'),
  'q4K':  dict(kind='nibble', sub=32, offsets=True, zero=0, kquant=True, doc='Q4_K: {@code w = d·sc·q − dmin·m} (one exact product and an add, as ggml\'s).'),
  'q5K':  dict(kind='five', sub=32, offsets=True, zero=0, kquant=True, doc='Q5_K: {@code w = d·sc·q − dmin·m}.'),
}

# A K-quant super-block of 256 columns holds, per group, the sub-blocks' int8 scales (and mins) in
# its first 256 bytes, then its quants; the f32 d (and -dmin) of each super-block are in the scales.
SCALE_BYTES = 256
QUANT_BYTES = {'int8': 256 * 16, 'nibble': 128 * 16, 'five': 8 * 20 * 16}


def super_bytes(f):
    return SCALE_BYTES + QUANT_BYTES[f['kind']]


def weight(f, src, d, m):
    """The f32 weights of byte vector src with scale d (and offset m): GroupDot's expression."""
    if f['zero']:
        src = f"{src}.sub((byte) {f['zero']})"
    conv = f"((FloatVector) {src}.convertShape(VectorOperators.B2F, F, 0))"
    return f"{conv}.fma({d}, {m})" if f['offsets'] else f"{conv}.mul({d})"


def columns(f, rv, ind):
    """per-format column body: yields (lines, list of (col_index_expr, bytevector name per rv))"""
    L = []
    kq = f.get('kquant')
    if f['kind'] == 'int8':
        L.append(f"{ind}int p = {'qs + (j & 255) * G' if kq else 'j * G'};")
        for r in rv:
            L.append(f"{ind}ByteVector l{r} = ByteVector.fromArray(B, q, q{r} + p);")
        return L, [('j', 'l')]
    if f['kind'] == 'nibble':
        L.append(f"{ind}int p = {'qs + (j & 255) / 2 * G' if kq else 'j / 2 * G'};")
        for r in rv:
            L.append(f"{ind}ByteVector v{r} = ByteVector.fromArray(B, q, q{r} + p);")
        for r in rv:
            L.append(f"{ind}ByteVector l{r} = v{r}.and((byte) 0x0F);")
        for r in rv:
            L.append(f"{ind}ByteVector h{r} = v{r}.lanewise(VectorOperators.LSHR, 4);")
        return L, [('j', 'l'), ('j + 1', 'h')]
    raise ValueError("Q5's columns come in chunks of 8: five_chunk")


def five_chunk(f, rv, ind, emit_pair):
    """lines for one 8-column chunk starting at column j (= k + i), i a multiple of 8"""
    L = []
    L.append(f"{ind}int hp = base + 16 * G + i / 8 * G;")
    for r in rv:
        L.append(f"{ind}ByteVector u{r} = ByteVector.fromArray(B, q, q{r} + hp);")
    for pair in range(4):
        sh = 2 * pair
        L.append(f"{ind}p = base + (i / 2 + {pair}) * G;")
        for r in rv:
            L.append(f"{ind}v{r} = ByteVector.fromArray(B, q, q{r} + p);")
        for r in rv:
            hi_low = f"u{r}.lanewise(VectorOperators.LSHL, {4 - sh})" if sh < 4 else (f"u{r}" if sh == 4 else f"u{r}.lanewise(VectorOperators.LSHR, {sh - 4})")
            L.append(f"{ind}l{r} = v{r}.and((byte) 0x0F).or({hi_low}.and((byte) 0x10));")
        for r in rv:
            sh1 = sh + 1
            hi_high = f"u{r}.lanewise(VectorOperators.LSHL, {4 - sh1})" if sh1 < 4 else (f"u{r}" if sh1 == 4 else f"u{r}.lanewise(VectorOperators.LSHR, {sh1 - 4})")
            L.append(f"{ind}h{r} = v{r}.lanewise(VectorOperators.LSHR, 4).or({hi_high}.and((byte) 0x10));")
        L += emit_pair(f"j + {2 * pair}", f"j + {2 * pair + 1}")
    return L

def scales(f, rv, ind, sname, pre):
    if f.get('kquant'):
        return kquant_scales(f, rv, ind, pre)
    L = []
    stride = "2 * G" if f['offsets'] else "G"
    sh = 5 if f['sub'] == 32 else 4
    L.append(f"{ind}int si = (k >> {sh}) * {'2 * G' if f['offsets'] else 'G'};")
    for r in rv:
        L.append(f"{ind}FloatVector d{r} = FloatVector.fromArray(F, s, {pre}{r} + si);")
        if f['offsets']:
            L.append(f"{ind}FloatVector m{r} = FloatVector.fromArray(F, s, {pre}{r} + si + G);")
    if f['kind'] == 'five':
        L.append(f"{ind}int base = (k >> 5) * 20 * G;")
    return L

def kquant_scales(f, rv, ind, pre):
    """A sub-block's scales from its int8 sc (and m) times the super-block's d (and -dmin): exact, as ggml's d·sc."""
    sh = 5 if f['sub'] == 32 else 4
    subs = 256 // f['sub']
    L = [f"{ind}int sup = k >> 8;",
         f"{ind}int sd = sup * {'2 * G' if f['offsets'] else 'G'};",
         f"{ind}int sq = sup * {super_bytes(f)} + ((k & 255) >> {sh}) * G;",
         f"{ind}int qs = sup * {super_bytes(f)} + {SCALE_BYTES};"]
    for r in rv:
        L.append(f"{ind}FloatVector d{r} = ((FloatVector) ByteVector.fromArray(B, q, q{r} + sq).convertShape(VectorOperators.B2F, F, 0))"
                 f".mul(FloatVector.fromArray(F, s, {pre}{r} + sd));")
        if f['offsets']:
            L.append(f"{ind}FloatVector m{r} = ((FloatVector) ByteVector.fromArray(B, q, q{r} + sq + {subs} * G).convertShape(VectorOperators.B2F, F, 0))"
                     f".mul(FloatVector.fromArray(F, s, {pre}{r} + sd + G));")
    if f['kind'] == 'five':
        L.append(f"{ind}int base = qs + ((k & 255) >> 5) * 20 * G;")
    return L


def step(f):
    return 1 if f['kind'] == 'int8' else 2

def dot_method(name, f):
    four = f['kind'] != 'five'
    rv = ['0', '1', '2', '3'] if four else ['0', '1']
    acc = {'0': 'a', '1': 'b', '2': 'c', '3': 'e'}
    qs = ", ".join(f"int q{r}" for r in rv); ss = ", ".join(f"int s{r}" for r in rv); os_ = ", ".join(f"int o{r}" for r in rv)
    L = [f"    /** {f['doc']} */",
         f"    static void {name}(byte[] q, {qs}, float[] s, {ss},",
         f"            float[] x, int xo, int cols, float[] out, {os_}) {{",
         "        FloatVector " + ", ".join(f"{acc[r]} = FloatVector.zero(F)" for r in rv) + ";",
         f"        for (int k = 0; k < cols; k += {f['sub']}) {{"]
    # scales use s{r}; rename
    sc = scales(f, rv, "            ", 's', 's')
    L += sc
    st = step(f)
    if f['kind'] == 'five':
        L.append("            for (int i = 0; i < 32; i += 8) {")
        L.append("                int j = k + i;")
        L.append("                int p;")
        L.append("                ByteVector " + ", ".join(f"v{r}, l{r}, h{r}" for r in rv) + ";")
        def emit(c0, c1):
            out = []
            for cexpr, vec, y in ((c0, 'l', 'y'), (c1, 'h', 'z')):
                out.append(f"                {'FloatVector ' if c0.endswith(' 0') else ''}{y} = FloatVector.broadcast(F, x[xo + {cexpr}]);")
                for r in rv:
                    out.append(f"                {acc[r]} = {weight(f, vec + r, 'd' + r, 'm' + r)}.fma({y}, {acc[r]});")
            return out
        L += five_chunk(f, rv, "                ", emit)
        L.append("            }")
    else:
        L.append(f"            for (int i = 0; i < {f['sub']}; i{'++' if st == 1 else ' += 2'}) {{")
        L.append("                int j = k + i;")
        body, cols = columns(f, rv, "                ")
        L += body
        for ci, (cexpr, vec) in enumerate(cols):
            y = 'y' if ci == 0 else 'z'
            L.append(f"                FloatVector {y} = FloatVector.broadcast(F, x[xo + {cexpr}]);")
            for r in rv:
                L.append(f"                {acc[r]} = {weight(f, vec + r, 'd' + r, 'm' + r)}.fma({y}, {acc[r]});")
        L.append("            }")
    L.append("        }")
    for r in rv:
        L.append(f"        {acc[r]}.intoArray(out, o{r});")
    L.append("    }")
    return "\n".join(L)

def panel_method(name, f):
    rv = ['a', 'b']
    L = [f"    /** {f['doc']} */",
         f"    static void {name}(byte[] q, int qa, int qb, float[] s, int sa, int sb, int k0, int k1, float[] panel) {{",
         f"        for (int k = k0; k < k1; k += {f['sub']}) {{"]
    sc = scales(f, rv, "            ", 's', 's')
    L += sc
    st = step(f)
    if f['kind'] == 'five':
        L.append("            for (int i = 0; i < 32; i += 8) {")
        L.append("                int j = k + i;")
        L.append("                int p;")
        L.append("                ByteVector " + ", ".join(f"v{r}, l{r}, h{r}" for r in rv) + ";")
        def emit(c0, c1):
            out = []
            pair = int(c0.split('+')[1]) // 2
            for ci, vec in enumerate(('l', 'h')):
                for n, r in enumerate(rv):
                    off = f"(j - k0 + {2 * pair + ci}) * 2 * L" + (" + L" if n else "")
                    out.append(f"                {weight(f, vec + r, 'd' + r, 'm' + r)}.intoArray(panel, {off});")
            return out
        L += five_chunk(f, rv, "                ", emit)
        L.append("            }")
    else:
        L.append(f"            for (int i = 0; i < {f['sub']}; i{'++' if st == 1 else ' += 2'}) {{")
        L.append("                int j = k + i;")
        L.append("                int o = (j - k0) * 2 * L;")
        body, cols = columns(f, rv, "                ")
        L += body
        for ci, (cexpr, vec) in enumerate(cols):
            for n, r in enumerate(rv):
                off = ["o", "o + L", "o + 2 * L", "o + 3 * L"][2 * ci + n]
                L.append(f"                {weight(f, vec + r, 'd' + r, 'm' + r)}.intoArray(panel, {off});")
        L.append("            }")
    L.append("        }")
    L.append("    }")
    return "\n".join(L)

BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'main', 'java', 'io', 'streamseek', 'gpu',
                    'backend', 'cpu')


def header(path):
    """The file's text before its first generated method."""
    text = open(path).read()
    return text[:text.index("    /** Q8_0")]


def main():
    dot_path = os.path.join(BASE, 'GroupDot.java')
    panel_path = os.path.join(BASE, 'GroupPanel.java')
    dot = header(dot_path) + "\n\n".join(dot_method(n, f) for n, f in FORMATS.items()) + "\n}\n"
    panel = header(panel_path) + "\n\n".join(panel_method(n, f) for n, f in FORMATS.items()) + "\n}\n"
    open(dot_path, 'w').write(dot)
    open(panel_path, 'w').write(panel)


if __name__ == '__main__':
    main()
