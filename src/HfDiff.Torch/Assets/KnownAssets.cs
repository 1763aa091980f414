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

    public static IReadOnlyList<ModelAsset> All { get; } =
        [NiqeMatlabParams, NiqeBasicSrParams, ResShiftUnet, SinSrV1, SinSrV2, VqF4,
         TorchvisionAlexNet, TorchvisionVgg16, LpipsAlexLinear, LpipsVggLinear, MusiqKoniq];
}
