namespace HfDiff.Torch.Assets;

/// <summary>A pretrained file we may not ship: its official file name, what uses it, and where users get it.</summary>
/// <param name="FileName">Official file name, kept as published.</param>
/// <param name="UsedBy">Which component needs it.</param>
/// <param name="Source">Where to download it (official URL or project page).</param>
/// <param name="Sha256">Checksum when the publisher gives one; null otherwise.</param>
public sealed record ModelAsset(string FileName, string UsedBy, string Source, string? Sha256 = null);
