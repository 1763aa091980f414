using System.IO.Compression;
using System.Text.Json;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// Pretraining checkpoints: one zip file <c>checkpoint_iter&lt;NNNNNNNNN&gt;.ckpt</c> per save, written atomically
/// (temp file + rename, <see cref="AtomicFile"/>), holding
/// <c>model.safetensors</c> (the extractor's state dict, the same keys as the final weights),
/// <c>optimizer.bin</c> (TorchSharp's Adam state: step count and both moment tensors per parameter, plus the param-group
/// options; <c>OptimizerHelper.save_state_dict</c> format) and <c>state.json</c> (<see cref="InnPretrainingCheckpointState"/>).
/// </summary>
public static class InnPretrainingCheckpoint
{
    // Same file naming as the training core's checkpoints (Core.TrainingCheckpoint): one place lists and names them.
    public const string FilePrefix = Core.TrainingCheckpoint.FilePrefix;
    public const string Extension = Core.TrainingCheckpoint.Extension;
    const string ModelEntry = "model.safetensors", OptimizerEntry = "optimizer.bin", StateEntry = "state.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathFor(string folder, long iteration) => Core.TrainingCheckpoint.PathFor(folder, iteration);

    /// <summary>Checkpoint files in <paramref name="folder"/>, newest (highest iteration) first. Temp files are ignored.</summary>
    public static IReadOnlyList<string> List(string folder) => Core.TrainingCheckpoint.List(folder);

    /// <summary>Writes a checkpoint atomically: a reader (or a resumed run) sees either the previous file set or this complete file.</summary>
    public static void Write(string path, nn.Module model, OptimizerHelper optimizer, InnPretrainingCheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        using var modelBytes = new MemoryStream();
        model.save_safetensors(modelBytes, leaveOpen: true);
        using var optimizerBytes = new MemoryStream();
        using (var writer = new BinaryWriter(optimizerBytes, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        var stateBytes = JsonSerializer.SerializeToUtf8Bytes(state, Json);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Core.TrainingCheckpoint.AddEntry(zip, ModelEntry, modelBytes.ToArray());
            Core.TrainingCheckpoint.AddEntry(zip, OptimizerEntry, optimizerBytes.ToArray());
            Core.TrainingCheckpoint.AddEntry(zip, StateEntry, stateBytes);
        });
    }

    /// <summary>Reads only the state of a checkpoint. Throws <see cref="CheckpointFormatException"/> naming the file when it is not one.</summary>
    public static InnPretrainingCheckpointState ReadState(string path)
    {
        using var zip = OpenZip(path);
        var state = JsonSerializer.Deserialize<InnPretrainingCheckpointState>(ReadEntry(zip, path, StateEntry), Json)
                    ?? throw new CheckpointFormatException($"'{path}': {StateEntry} is empty.");
        if (state.Format != InnPretrainingCheckpointState.CurrentFormat)
            throw new CheckpointFormatException($"'{path}': checkpoint format '{state.Format}' is not '{InnPretrainingCheckpointState.CurrentFormat}'.");
        return state;
    }

    /// <summary>Loads the model weights of a checkpoint into <paramref name="model"/> (strict).</summary>
    public static void LoadModel(string path, nn.Module model)
    {
        using var zip = OpenZip(path);
        using var ms = new MemoryStream(ReadEntry(zip, path, ModelEntry));
        var sd = Safetensors.LoadStateDict(ms, leaveOpen: false, keysToKeep: null);
        try { Checkpoint.LoadInto(model, sd, strict: true, source: $"'{path}'"); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    /// <summary>Restores model weights and optimizer state from <paramref name="path"/>; returns its state.</summary>
    public static InnPretrainingCheckpointState Restore(string path, nn.Module model, OptimizerHelper optimizer)
    {
        var state = ReadState(path);
        LoadModel(path, model);
        using var zip = OpenZip(path);
        using var ms = new MemoryStream(ReadEntry(zip, path, OptimizerEntry));
        using var reader = new BinaryReader(ms);
        try { optimizer.load_state_dict(reader); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointFormatException($"'{path}': the optimizer state does not fit this model/optimizer ({e.Message}).", e);
        }
        return state;
    }

    static ZipArchive OpenZip(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{path}' is not a pretraining checkpoint (not a zip file: {e.Message}).", e); }
    }

    static byte[] ReadEntry(ZipArchive zip, string path, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointFormatException($"'{path}' is not a pretraining checkpoint (no {name}).");
        try
        {
            using var s = entry.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{path}': entry {name} is corrupt ({e.Message}).", e); }
    }
}
