// Sample: the learned image-quality scorers in an ML.NET pipeline: LPIPS (against ground truth), MUSIQ and CLIP-IQA
// (no reference), each running its pretrained network.
// Run from the repository root:  dotnet run --project samples/LearnedScorers [MODEL_DIR]
// The networks' files come from the model directory (MODEL_DIR, else $HFDIFF_MODELS, else ~/.hfdiff/models); get them with
// hfdiff models fetch lpips-alex musiq clipiqa. A scorer whose files are missing is skipped with a message naming them.
using HfDiff.MLNet;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics.Lpips;
using Microsoft.ML;

var models = args.Length > 0 ? args[0] : null;
var ml = new MLContext(seed: 0);
var srDir = Path.Combine("data", "samples", "sr");
var data = ml.Data.LoadFromEnumerable(Directory.GetFiles(srDir, "*.png").Order(StringComparer.Ordinal)
    .Select(sr => new Pair { Sr = sr, Gt = Path.Combine("data", "samples", "gt", Path.GetFileName(sr)) }).ToList());

var scorers = new (string Column, IEstimator<ITransformer> Scorer)[]
{
    ("Lpips", ml.Transforms.ImageQuality.Lpips("Lpips", "Sr", "Gt", LpipsNet.Alex, modelDirectory: models)),
    ("Musiq", ml.Transforms.ImageQuality.Musiq("Musiq", "Sr", modelDirectory: models)),
    ("ClipIqa", ml.Transforms.ImageQuality.ClipIqa("ClipIqa", "Sr", modelDirectory: models)),
};
int ran = 0;
foreach (var (column, scorer) in scorers)
{
    try
    {
        // Fit builds the network from its files, so missing files fail here, named, rather than inside Evaluate.
        var metrics = ml.ImageQuality.Evaluate(scorer.Fit(data).Transform(data), column);
        Console.WriteLine($"{column,-8} mean {metrics.Mean[column]:F4}  per image {string.Join("  ", metrics.PerRow[column].Select(v => v.ToString("F4")))}");
        ran++;
    }
    catch (ModelAssetMissingException e)
    {
        Console.WriteLine($"{column,-8} skipped: {e.Summary}");
    }
}
if (ran == 0) Console.WriteLine("No learned scorer ran: their pretrained files are not in the model directory (see above).");

sealed class Pair
{
    public string Sr { get; set; } = "";
    public string Gt { get; set; } = "";
}
