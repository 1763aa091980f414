using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// Training checkpoints: one zip file <c>checkpoint_iter&lt;NNNNNNNNN&gt;.ckpt</c> per save, written atomically (temp file
/// + rename), holding <c>model.safetensors</c> and <c>ema.safetensors</c> (state dicts with the official keys, exact bits),
/// <c>optimizer.bin</c> (TorchSharp's AdamW state: step counts and both moments per parameter), <c>rng.bin</c> (the run's
/// generator state), <c>state.json</c> (<see cref="TrainingCheckpointState"/>) and, for an
/// <see cref="IAuxiliaryTrainingObjective"/>, <c>auxiliary.bin</c> (its opaque state: e.g. a discriminator and its optimizer).
/// </summary>
public static class TrainingCheckpoint
{
    public const string FilePrefix = "checkpoint_iter";
    public const string Extension = ".ckpt";
    const string ModelEntry = "model.safetensors", EmaEntry = "ema.safetensors", OptimizerEntry = "optimizer.bin",
                 RngEntry = "rng.bin", StateEntry = "state.json", AuxiliaryEntry = "auxiliary.bin";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathFor(string folder, long iteration) =>
        Path.Combine(folder, $"{FilePrefix}{iteration.ToString("D9", CultureInfo.InvariantCulture)}{Extension}");

    /// <summary>Checkpoint files in <paramref name="folder"/>, newest first. Temp files are ignored.</summary>
    public static IReadOnlyList<string> List(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateFiles(folder, FilePrefix + "*" + Extension)
            .Select(p => (Path: p, Iteration: ParseIteration(p)))
            .Where(x => x.Iteration >= 0)
            .OrderByDescending(x => x.Iteration)
            .Select(x => x.Path)
            .ToList();
    }

    static long ParseIteration(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return name.StartsWith(FilePrefix, StringComparison.Ordinal)
               && long.TryParse(name.AsSpan(FilePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var it) ? it : -1;
    }

    /// <summary>Writes a checkpoint atomically: readers see the previous files or this complete one, never a partial file.</summary>
    /// <param name="auxiliaryState">The <see cref="IAuxiliaryTrainingObjective"/> state, or null when the objective has none.</param>
    public static void Write(string path, nn.Module model, ExponentialMovingAverage ema, OptimizerHelper optimizer, byte[] rngState,
                             TrainingCheckpointState state, byte[]? auxiliaryState = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ema);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var modelBytes = SafetensorsBytes(model.state_dict());
        var emaBytes = SafetensorsBytes(ema.State);
        using var optimizerBytes = new MemoryStream();
        using (var writer = new BinaryWriter(optimizerBytes, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        var stateBytes = JsonSerializer.SerializeToUtf8Bytes(state, Json);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            AddEntry(zip, ModelEntry, modelBytes);
            AddEntry(zip, EmaEntry, emaBytes);
            AddEntry(zip, OptimizerEntry, optimizerBytes.ToArray());
            AddEntry(zip, RngEntry, rngState);
            AddEntry(zip, StateEntry, stateBytes);
            if (auxiliaryState is not null) AddEntry(zip, AuxiliaryEntry, auxiliaryState);
        });
    }

    static byte[] SafetensorsBytes(IReadOnlyDictionary<string, Tensor> sd)
    {
        var cpu = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (k, v) in sd) cpu[k] = v.detach().cpu().contiguous();
            using var ms = new MemoryStream();
            Safetensors.SaveStateDict(ms, cpu, leaveOpen: true);
            return ms.ToArray();
        }
        finally { foreach (var t in cpu.Values) t.Dispose(); }
    }

    /// <summary>A stored (uncompressed) zip entry; shared with the INN pretrainer's checkpoints.</summary>
    internal static void AddEntry(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var s = entry.Open();
        s.Write(bytes);
    }

    /// <summary>Reads only the state. Throws <see cref="CheckpointFormatException"/> naming the file when it is not a checkpoint.</summary>
    public static TrainingCheckpointState ReadState(string path)
    {
        using var zip = OpenZip(path);
        var state = JsonSerializer.Deserialize<TrainingCheckpointState>(ReadEntry(zip, path, StateEntry), Json)
                    ?? throw new CheckpointFormatException($"'{path}': {StateEntry} is empty.");
        if (state.Format != TrainingCheckpointState.CurrentFormat)
            throw new CheckpointFormatException($"'{path}': checkpoint format '{state.Format}' is not '{TrainingCheckpointState.CurrentFormat}'.");
        return state;
    }

    /// <summary>Reads one of the stored state dicts (<c>model</c> or <c>ema</c>) into new CPU tensors the caller owns.</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path, bool ema)
    {
        using var zip = OpenZip(path);
        using var ms = new MemoryStream(ReadEntry(zip, path, ema ? EmaEntry : ModelEntry));
        return Safetensors.LoadStateDict(ms, leaveOpen: false, keysToKeep: null);
    }

    /// <summary>The <see cref="IAuxiliaryTrainingObjective"/> state stored in a checkpoint, or null when it has none.</summary>
    public static byte[]? ReadAuxiliaryState(string path)
    {
        using var zip = OpenZip(path);
        return zip.GetEntry(AuxiliaryEntry) is null ? null : ReadEntry(zip, path, AuxiliaryEntry);
    }

    /// <summary>
    /// Restores model, EMA, optimizer and random state; returns the run state. With <paramref name="restoreAuxiliary"/>,
    /// the checkpoint must hold <c>auxiliary.bin</c>, whose bytes are passed to it.
    /// </summary>
    public static TrainingCheckpointState Restore(string path, nn.Module model, ExponentialMovingAverage ema, OptimizerHelper optimizer, TrainingRandom random,
                                                  Action<byte[]>? restoreAuxiliary = null)
    {
        var state = ReadState(path);
        var sd = ReadStateDict(path, ema: false);
        try { Checkpoint.LoadInto(model, sd, strict: true, source: $"'{path}'"); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
        var emaSd = ReadStateDict(path, ema: true);
        try { ema.Load(emaSd, $"'{path}'"); }
        finally { foreach (var t in emaSd.Values) t.Dispose(); }

        using var zip = OpenZip(path);
        using (var ms = new MemoryStream(ReadEntry(zip, path, OptimizerEntry)))
        using (var reader = new BinaryReader(ms))
        {
            try { optimizer.load_state_dict(reader); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new CheckpointFormatException($"'{path}': the optimizer state does not fit this model/optimizer ({e.Message}).", e);
            }
        }
        random.SetState(ReadEntry(zip, path, RngEntry));
        restoreAuxiliary?.Invoke(ReadEntry(zip, path, AuxiliaryEntry));
        return state;
    }

    static ZipArchive OpenZip(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{path}' is not a training checkpoint (not a zip file: {e.Message}).", e); }
    }

    static byte[] ReadEntry(ZipArchive zip, string path, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointFormatException($"'{path}' is not a training checkpoint (no {name}).");
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
