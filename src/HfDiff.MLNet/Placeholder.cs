namespace HfDiff.MLNet;
