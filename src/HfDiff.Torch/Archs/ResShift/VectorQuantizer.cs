// Port of VectorQuantizer2 from zsyOAOA/ResShift ldm/modules/vqvae/quantize.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from CompVis taming-transformers, Esser et al., CVPR 2021).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>Result of <see cref="VectorQuantizer.Quantize"/>; owns its tensors.</summary>
public sealed record QuantizeResult(Tensor Quant, Tensor Indices, Tensor EmbLoss) : IDisposable
{
    public void Dispose() { Quant.Dispose(); Indices.Dispose(); EmbLoss.Dispose(); }
}

/// <summary>
/// Nearest-codebook quantizer (legacy β placement, no remap). Key: <c>embedding.weight</c> (n_e, e_dim).
/// </summary>
public sealed class VectorQuantizer : nn.Module
{
    /// <summary>Rows of the distance matrix computed at once (bounds memory to RowChunk × n_e floats; rows are independent).</summary>
    const long RowChunk = 4096;

    readonly Embedding embedding;

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public double Beta { get; }

    public VectorQuantizer(int nE, int eDim, double beta = 0.25) : base("VectorQuantizer2")
    {
        NumEmbeddings = nE; EmbeddingDim = eDim; Beta = beta;
        embedding = nn.Embedding(nE, eDim);
        using (no_grad()) embedding.weight!.uniform_(-1.0 / nE, 1.0 / nE);
        RegisterComponents();
    }

    public Tensor Codebook => embedding.weight!;

    /// <summary>
    /// Quantizes (B, e_dim, H, W) features to the nearest codebook rows.
    /// Distances are |z|² + |e|² − 2 z·e in float32, argmin per position (first minimum on ties), as the reference.
    /// Returns quant (B, e_dim, H, W) = z + (z_q − z).detach() (the straight-through estimator, bitwise as the reference),
    /// indices (B, H, W) int64, and emb_loss (scalar) = mean((z_q.detach()−z)²) + β·mean((z_q−z.detach())²), with the
    /// reference's gradient paths (so it can be trained).
    /// </summary>
    public QuantizeResult Quantize(Tensor z)
    {
        if (z.dim() != 4 || z.shape[1] != EmbeddingDim)
            throw new ArgumentException($"Quantizer input must be (B, {EmbeddingDim}, H, W); got shape [{string.Join(",", z.shape)}].", nameof(z));
        using var scope = NewDisposeScope();
        long b = z.shape[0], h = z.shape[2], w = z.shape[3];
        // Reduced-precision inference keeps the codebook float32: the nearest-code search runs in its dtype.
        if (z.dtype != embedding.weight!.dtype) z = z.to_type(embedding.weight!.dtype);
        var zp = z.permute(0, 2, 3, 1).contiguous();        // b h w c
        var zFlat = zp.view(-1, EmbeddingDim);
        var e = embedding.weight!;
        var eSq = e.pow(2).sum(1);                          // n_e
        var eT = e.t();
        long rows = zFlat.shape[0];
        var idxParts = new List<Tensor>();
        for (long r0 = 0; r0 < rows; r0 += RowChunk)
        {
            using var inner = NewDisposeScope();
            var zc = zFlat.narrow(0, r0, Math.Min(RowChunk, rows - r0));
            // (|z|² + |e|²) − 2·z·e with two (rows × n_e) buffers instead of four; every value and rounding is the
            // reference's (doubling is exact, and the subtraction is the same single operation).
            var d = zc.pow(2).sum(1, keepdim: true) + eSq;
            var ze = zc.matmul(eT);
            d.sub_(ze.mul_(2));
            ze.Dispose();
            idxParts.Add(d.argmin(1).MoveToOuterDisposeScope());
        }
        var indices = idxParts.Count == 1 ? idxParts[0] : cat(idxParts, 0);
        var zq = embedding.call(indices).view(zp.shape);
        // legacy: loss = mean((z_q.detach() − z)²) + β·mean((z_q − z.detach())²): the first term (weight 1) trains the
        // encoder, the second (weight β) the codebook. PORT-QUIRK(ResShift, ldm/modules/vqvae/quantize.py): legacy=True
        // puts β on the codebook term, not on the commitment term as in the VQ-VAE paper; kept. The detaches change no
        // value (both means are the same number, as before), only where the gradients go.
        var commitment = (zq.detach() - zp).pow(2).mean();
        var codebook = (zq - zp.detach()).pow(2).mean();
        var loss = commitment + Beta * codebook;
        // Straight-through estimator: z_q = z + (z_q − z).detach(): the value is z_q (bitwise the reference's), the
        // gradient goes to z (the encoder) unchanged and not to the codebook.
        var quant = (zp + (zq - zp).detach()).permute(0, 3, 1, 2).contiguous();
        return new QuantizeResult(quant.MoveToOuterDisposeScope(), indices.view(b, h, w).MoveToOuterDisposeScope(), loss.MoveToOuterDisposeScope());
    }

    /// <summary>Codebook rows for (B, H, W) indices as a (B, e_dim, H, W) map (get_codebook_entry).</summary>
    public Tensor CodebookEntry(Tensor indices)
    {
        if (indices.dim() != 3) throw new ArgumentException($"indices must be (B, H, W); got shape [{string.Join(",", indices.shape)}].", nameof(indices));
        using var scope = NewDisposeScope();
        return embedding.call(indices).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }
}
