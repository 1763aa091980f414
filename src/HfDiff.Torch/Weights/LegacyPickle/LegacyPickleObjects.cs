using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.LegacyPickle;

// What a legacy checkpoint's object pickle holds besides the shared pickle values (Weights/Pickle/PickleValues.cs):
// tensors cannot be built while it is read, since their storage bytes follow the pickles.

/// <summary>
/// A storage named by a persistent id <c>('storage', type, key, location, size, view_metadata)</c>. The bytes follow the
/// object pickle; <see cref="Offset"/>/<see cref="Size"/> select a view (view_metadata) of the root storage, in elements.
/// </summary>
internal sealed record LegacyStorageRef(string Key, ScalarType DType, int ElementSize, long RootSize, long Offset, long Size, string Location);

/// <summary>
/// A tensor to rebuild once storage bytes are read: <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)</c>,
/// i.e. <c>storage.as_strided(size, stride, offset)</c>.
/// </summary>
internal sealed record PendingTensor(LegacyStorageRef Storage, long StorageOffset, long[] Shape, long[] Stride);
