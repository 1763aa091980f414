using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.ResShift;

[TestClass]
public class VQModelTorchTests
{
    // README "Suggested tolerances": latents and decodes, relative L2 < 1e-4; VQ indices exact.
    const double Tolerance = 1e-4;

    static VQModelTorch LoadReduced()
    {
        var section = ResShiftFixture.ReadConfig().GetProperty("autoencoder");
        var model = new VQModelTorch(VQModelOptions.FromJson(section.GetProperty("kwargs")));
        Checkpoint.LoadInto(model, ResShiftFixture.File(section.GetProperty("file").GetString()!), strict: true);
        model.eval();
        return model;
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void Constructor_OfficialFullConfig_StateDictMatchesManifest()
    {
        var manifest = ResShiftFixture.Manifest("autoencoder_vq_f4");
        using var model = new VQModelTorch(VQModelOptions.FromJson(manifest.GetProperty("constructor")));
        ResShiftFixture.AssertStateDictMatchesManifest(model, manifest, "autoencoder_vq_f4");
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void FromJson_OfficialFullConfig_EqualsOfficialPreset()
    {
        var full = VQModelOptions.FromJson(ResShiftFixture.ReadConfig().GetProperty("official_full").GetProperty("autoencoder"));
        Assert.AreEqual(JsonSerializer.Serialize(VQModelOptions.Official), JsonSerializer.Serialize(full));
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void EncodeQuantizeDecode_FixtureModel_MatchReference()
    {
        using var io = ResShiftFixture.OpenIo();
        using var model = LoadReduced();
        using var _ = no_grad();

        using var latent = model.Encode(io["ae.input"]);
        Check(latent, io["ae.latent_prequant"], Tolerance, "ae.latent_prequant");

        // Quantize the stored latent, so an encoder rounding difference cannot move indices.
        using var q = model.Quantize(io["ae.latent_prequant"]);
        var expectedIdx = io["ae.indices"];
        TensorAssert.AssertSameShape(q.Indices, expectedIdx, "ae.indices");
        long flips = q.Indices.ne(expectedIdx).sum().item<long>();
        Assert.AreEqual(0L, flips, $"ae.indices: {flips} of {expectedIdx.numel()} differ");
        Check(q.Quant, io["ae.latent_quant"], Tolerance, "ae.latent_quant");
        Check(q.EmbLoss.reshape(1), io["ae.emb_loss"], Tolerance, "ae.emb_loss");

        using var decoded = model.Decode(io["ae.latent_prequant"]);
        Check(decoded, io["ae.decoded"], Tolerance, "ae.decoded");
        using var decodedNoQuant = model.Decode(io["ae.latent_prequant"], forceNotQuantize: true);
        Check(decodedNoQuant, io["ae.decoded_no_quant"], Tolerance, "ae.decoded_no_quant");

        // Our own latent (rel. L2 ~1e-6 from the reference) may flip an index only where the two nearest codes are
        // (near-)tied; report the count and require each flip to be such a tie.
        using var q2 = model.Quantize(latent);
        using var flipMask = q2.Indices.ne(expectedIdx);
        long ownFlips = flipMask.sum().item<long>();
        Console.WriteLine($"ae.indices from own latent: {ownFlips} of {expectedIdx.numel()} differ");
        if (ownFlips > 0)
        {
            using var z = io["ae.latent_prequant"].permute(0, 2, 3, 1)[flipMask];          // (flips, e_dim)
            using var eOurs = model.Quantizer.Codebook.index_select(0, q2.Indices[flipMask]);
            using var eRef = model.Quantizer.Codebook.index_select(0, expectedIdx[flipMask]);
            using var gap = ((z - eOurs).pow(2).sum(1) - (z - eRef).pow(2).sum(1)).abs().max();
            Assert.IsTrue(gap.item<float>() < 1e-4f, $"ae.indices: {ownFlips} flips, largest distance gap {gap.item<float>():E2} is not a tie");
        }
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void LoadInto_MalformedCheckpoint_ThrowsCheckpointFormatException()
    {
        using var model = new VQModelTorch(VQModelOptions.FromJson(ResShiftFixture.ReadConfig().GetProperty("autoencoder").GetProperty("kwargs")));
        var junk = Path.Combine(Path.GetTempPath(), $"hfdiff-vq-{Guid.NewGuid():N}.pth");
        File.WriteAllText(junk, "PK not really a zip");
        try { StringAssert.Contains(Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadInto(model, junk)).Message, junk); }
        finally { File.Delete(junk); }
        var unet = ResShiftFixture.File("resshift_unet_A.pth"); // outside the lambda: a missing fixture must skip
        var wrong = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadInto(model, unet));
        StringAssert.Contains(wrong.Message, "unexpected keys");
    }

    static VQModelOptions Small => new()
    {
        EmbedDim = 3, NEmbed = 16,
        DdConfig = new DdConfig { Ch = 32, ChMult = [1, 1], NumResBlocks = [1, 1], Resolution = 16, AttnResolutions = [16] },
    };

    [TestMethod]
    public void Quantize_TiedCodebook_PicksFirstNearestRow()
    {
        using var model = new VQModelTorch(Small);
        using (no_grad())
        {
            model.Quantizer.Codebook.zero_();
            model.Quantizer.Codebook[5] = tensor(new float[] { 1, 0, 0 });
            model.Quantizer.Codebook[9] = tensor(new float[] { 1, 0, 0 });
        }
        using var z = tensor(new float[] { 0.9f, 0, 0, 0.1f, 0, 0 }).view(1, 2, 1, 3).permute(0, 3, 1, 2).contiguous();   // (1,3,1,2)
        using var q = model.Quantize(z);
        CollectionAssert.AreEqual(new long[] { 5, 0 }, q.Indices.flatten().data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 3, 2, 1 }, q.Quant.shape);
    }

    [TestMethod]
    public void EncodeDecode_AttentionLevelsAndOddInput_ShapesAndErrors()
    {
        using var model = new VQModelTorch(Small);
        model.eval();
        using var _ = no_grad();
        Assert.IsTrue(model.state_dict().Keys.Any(k => k.StartsWith("encoder.down.0.attn.0.q.", StringComparison.Ordinal)), "attention at resolution 16");
        using var x = rand(1, 3, 16, 24) * 2 - 1;
        using var h = model.Encode(x);
        CollectionAssert.AreEqual(new long[] { 1, 3, 8, 12 }, h.shape);
        using var y = model.Decode(h);
        CollectionAssert.AreEqual(new long[] { 1, 3, 16, 24 }, y.shape);
        using var odd = zeros(1, 3, 15, 16);
        StringAssert.Contains(Assert.Throws<ArgumentException>(() => model.Encode(odd)).Message, "divisible by 2");
        using var wrongC = zeros(1, 4, 8, 8);
        StringAssert.Contains(Assert.Throws<ArgumentException>(() => model.Decode(wrongC)).Message, "(B, 3, h, w)");
    }

    [TestMethod]
    public void AttnBlock_ManyTokens_ChunkedEqualsFullSoftmaxAttention()
    {
        // 64x128 = 8192 tokens -> the block splits the queries into 4 chunks; compare with the unchunked formula.
        using var blk = new LdmAttnBlock(32);
        blk.eval();
        using var _ = no_grad();
        using var x = randn(1, 32, 64, 128);
        using var y = blk.call(x);
        var sd = blk.state_dict();
        using var hn = nn.functional.group_norm(x, 32, sd["norm.weight"], sd["norm.bias"], 1e-6);
        Tensor Conv(string name, Tensor input) => nn.functional.conv2d(input, sd[name + ".weight"], sd[name + ".bias"]);
        using var qf = Conv("q", hn).reshape(1, 32, -1).permute(0, 2, 1);
        using var kf = Conv("k", hn).reshape(1, 32, -1);
        using var vf = Conv("v", hn).reshape(1, 32, -1);
        using var wts = (qf.bmm(kf) * Math.Pow(32, -0.5)).softmax(2);
        using var h = vf.bmm(wts.permute(0, 2, 1)).reshape(1, 32, 64, 128);
        using var expected = x + Conv("proj_out", h);
        TensorAssert.RelL2Below(y, expected, 1e-6, "chunked attention");
    }

    [TestMethod]
    public void FromDictionary_BadValues_ThrowNamingKey()
    {
        var kw = new Dictionary<string, object?>
        {
            ["embed_dim"] = 3, ["n_embed"] = 16,
            ["ddconfig"] = new Dictionary<string, object?>
            {
                ["double_z"] = false, ["z_channels"] = 3, ["resolution"] = 16, ["in_channels"] = 3, ["out_ch"] = 3, ["ch"] = 32,
                ["ch_mult"] = new List<object?> { 1L, 1L }, ["num_res_blocks"] = 1, ["attn_resolutions"] = new List<object?>(),
                ["padding_mode"] = "zeros", ["some_future_key"] = 1,   // ignored like the reference's **ignore_kwargs
            },
        };
        var o = VQModelOptions.FromDictionary(kw);
        CollectionAssert.AreEqual(new[] { 1, 1 }, o.DdConfig.NumResBlocks.ToArray());
        var extra = new Dictionary<string, object?>(kw) { ["lossconfig"] = null };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => VQModelOptions.FromDictionary(extra)).Message, "'lossconfig'");
        var badPad = Small with { DdConfig = Small.DdConfig with { PaddingMode = "mirror" } };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new VQModelTorch(badPad)).Message, "padding_mode");
        var badCh = Small with { DdConfig = Small.DdConfig with { Ch = 20 } };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new VQModelTorch(badCh)).Message, "ddconfig.ch");
    }

    static void Check(Tensor actual, Tensor expected, double tolerance, string name)
    {
        Console.WriteLine($"{name}: relative L2 {TensorAssert.RelL2(actual, expected):E3} (tolerance {tolerance:E1})");
        TensorAssert.RelL2Below(actual, expected, tolerance, name);
    }
}
