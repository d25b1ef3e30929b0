using TorchSharp;
using UnitScope.Engine.Checkpoints;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Checkpoints;

public class SafetensorsWriterTests
{
    [Fact]
    public void What_is_written_reads_back_with_every_value_dtype_shape_and_metadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unitscope-writer-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(3);
            var tensors = new Dictionary<string, Tensor>
            {
                ["features.0.weight"] = torch.randn(4, 3, 3, 3),
                ["features.1.num_batches_tracked"] = torch.tensor(17L),
                ["transposed"] = torch.randn(5, 7).t(), // not contiguous: must be written in logical order
                ["half"] = torch.randn(6).to(float16),
                ["mask"] = torch.tensor(new[] { true, false, true }),
            };
            SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["arch"] = "vgg11_bn" });

            using var read = CheckpointReader.Read(path);
            read.Format.Should().Be("safetensors");
            read.Metadata["arch"].Should().Be("vgg11_bn");
            read.Keys.Should().Equal(tensors.Keys);
            foreach (var (name, expected) in tensors)
            {
                read[name].dtype.Should().Be(expected.dtype, name);
                read[name].shape.Should().Equal(expected.shape, name);
                read[name].eq(expected).all().item<bool>().Should().BeTrue(name);
            }
            File.Exists(path + ".tmp-" + Environment.ProcessId).Should().BeFalse("the temporary file is renamed into place");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
