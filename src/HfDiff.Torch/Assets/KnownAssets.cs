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

    public static readonly ModelAsset TorchvisionVgg16 = new("vgg16-397923af.pth", "LPIPS (vgg) trunk: torchvision VGG16",
        "https://download.pytorch.org/models/vgg16-397923af.pth");

    public static IReadOnlyList<ModelAsset> All { get; } =
        [NiqeMatlabParams, NiqeBasicSrParams, ResShiftUnet, SinSrV1, SinSrV2, VqF4,
         Dinov2VitS14, Dinov2VitB14, Dinov2VitL14, Dinov2VitS14Reg4, Dinov2VitB14Reg4, TorchvisionVgg16];
}
