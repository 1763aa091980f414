namespace HfDiff.Torch.Metrics.Lpips;

/// <summary>The LPIPS trunk network (torchvision ImageNet classifiers' <c>features</c> part).</summary>
public enum LpipsNet
{
    /// <summary>AlexNet, pyiqa's <c>lpips</c> (the LPIPS default).</summary>
    Alex,
    /// <summary>VGG16, pyiqa's <c>lpips-vgg</c>.</summary>
    Vgg,
}
