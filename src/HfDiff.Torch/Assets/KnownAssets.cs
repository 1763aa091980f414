namespace HfDiff.Torch.Assets;

/// <summary>
/// Every pretrained asset the toolkit can use, under its official file name. Components add their entries here so
/// that <c>hfdiff models list</c> and the missing-file errors speak of the same files.
/// </summary>
public static class KnownAssets
{
    public static readonly ModelAsset NiqeMatlabParams = new("niqe_modelparameters.mat", "NIQE (pyiqa)",
        "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1.0-weights/niqe_modelparameters.mat");
    public static readonly ModelAsset NiqeBasicSrParams = new("niqe_pris_params.npz", "NIQE (BasicSR)",
        "https://github.com/XPixelGroup/BasicSR/raw/master/basicsr/metrics/niqe_pris_params.npz");

    public static readonly ModelAsset ResShiftUnet = new("resshift_realsrx4_s15_v1.pth", "ResShift ×4 UNet (15 steps)",
        "https://github.com/zsyOAOA/ResShift/releases/download/v2.0/resshift_realsrx4_s15_v1.pth");
    public static readonly ModelAsset SinSrV1 = new("SinSR_v1.pth", "SinSR one-step UNet",
        "https://github.com/wyf0912/SinSR/releases/download/v1.0/SinSR_v1.pth");
    public static readonly ModelAsset SinSrV2 = new("SinSR_v2.pth", "SinSR one-step UNet (v2)",
        "https://github.com/wyf0912/SinSR/releases/download/v1.0/SinSR_v2.pth");
    public static readonly ModelAsset VqF4 = new("autoencoder_vq_f4.pth", "VQGAN f4 autoencoder (ResShift/SinSR/HF-Diff)",
        "https://github.com/zsyOAOA/ResShift/releases/download/v2.0/autoencoder_vq_f4.pth");

    // DINOv2 torch-hub backbones (HF-Diff distribution matching); URLs = official base + manifest url_path.
    public static readonly ModelAsset Dinov2VitS14 = new("dinov2_vits14_pretrain.pth", "DINOv2 ViT-S/14 (distribution matching)",
        "https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth");
    public static readonly ModelAsset Dinov2VitB14 = new("dinov2_vitb14_pretrain.pth", "DINOv2 ViT-B/14 (distribution matching)",
        "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitb14/dinov2_vitb14_pretrain.pth");
    public static readonly ModelAsset Dinov2VitL14 = new("dinov2_vitl14_pretrain.pth", "DINOv2 ViT-L/14 (distribution matching)",
        "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth");
    public static readonly ModelAsset Dinov2VitS14Reg4 = new("dinov2_vits14_reg4_pretrain.pth", "DINOv2 ViT-S/14 + registers (distribution matching)",
        "https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_reg4_pretrain.pth");
    public static readonly ModelAsset Dinov2VitB14Reg4 = new("dinov2_vitb14_reg4_pretrain.pth", "DINOv2 ViT-B/14 + registers (distribution matching)",
        "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitb14/dinov2_vitb14_reg4_pretrain.pth");

    public static readonly ModelAsset ClipRn50 = new("RN50.pt", "CLIP RN50 (CLIP-IQA)",
        "https://openaipublic.azureedge.net/clip/models/afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt",
        "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762");
    public static readonly ModelAsset ClipBpeVocab = new("bpe_simple_vocab_16e6.txt.gz", "CLIP tokenizer (CLIP-IQA)",
        "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz");
    public static readonly ModelAsset ClipIqaPlusPrompts = new("CLIP-IQA+_learned_prompts-603f3273.pth", "CLIP-IQA+ learned prompts (pyiqa)",
        "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/CLIP-IQA%2B_learned_prompts-603f3273.pth");

    public static readonly ModelAsset TorchvisionAlexNet = new("alexnet-owt-7be5be79.pth", "LPIPS (alex) trunk: torchvision AlexNet",
        "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth");
    public static readonly ModelAsset TorchvisionVgg16 = new("vgg16-397923af.pth", "LPIPS (vgg) trunk: torchvision VGG16",
        "https://download.pytorch.org/models/vgg16-397923af.pth");
    public static readonly ModelAsset LpipsAlexLinear = new("alex.pth", "LPIPS v0.1 (alex) linear layers",
        "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth");
    public static readonly ModelAsset LpipsVggLinear = new("vgg.pth", "LPIPS v0.1 (vgg) linear layers",
        "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth");
    public static readonly ModelAsset MusiqKoniq = new("musiq_koniq_ckpt-e95806b9.pth", "MUSIQ (KonIQ-10k head, pyiqa)",
        "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights/musiq_koniq_ckpt-e95806b9.pth");

    /// <summary>Every asset declared above, in declaration order (found by reflection so entries are added in one place).</summary>
    public static IReadOnlyList<ModelAsset> All { get; } = typeof(KnownAssets)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ModelAsset))
        .Select(f => (ModelAsset)f.GetValue(null)!)
        .ToList();
}
