namespace HfDiff.Torch.Weights.TorchScript;

/// <summary>A tensor storage named by a persistent id of a zip archive: <c>('storage', torch.XStorage, key, location, numel)</c>.</summary>
public sealed record PickleStorageRef(string StorageType, string Key, string Location, long Numel);
