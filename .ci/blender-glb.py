# Imports a facade.glb into Blender and renders it (the README picture): an "opens in Blender"
# check by hand. Usage: blender -b --python .ci/blender-glb.py -- facade.glb out.png
import numpy
if not hasattr(numpy, "bool"): numpy.bool = bool
import bpy, sys, math
args = sys.argv[sys.argv.index("--") + 1:]
path, out = args[0], args[1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
o = [o for o in bpy.context.scene.objects if o.type == 'MESH'][0]
w, h = o.dimensions.x, o.dimensions.z
scene = bpy.context.scene
cam = bpy.data.cameras.new("cam")
cam_obj = bpy.data.objects.new("cam", cam)
scene.collection.objects.link(cam_obj)
# Three-quarter view from the street, so the normal map's relief catches the light.
cam_obj.location = (w * 0.9, -h * 1.25, h * 0.45)
direction = (-cam_obj.location[0] + 0, -cam_obj.location[1], h * 0.5 - cam_obj.location[2])
import mathutils
cam_obj.rotation_euler = mathutils.Vector(direction).to_track_quat('-Z', 'Y').to_euler()
cam.lens = 30
scene.camera = cam_obj
sun = bpy.data.lights.new("sun", type='SUN')
sun.energy = 4.0
sun_obj = bpy.data.objects.new("sun", sun)
sun_obj.rotation_euler = (math.radians(55), 0, math.radians(35))
scene.collection.objects.link(sun_obj)
world = bpy.data.worlds.new("w"); scene.world = world
world.use_nodes = True
world.node_tree.nodes["Background"].inputs[0].default_value = (0.55, 0.65, 0.8, 1)
world.node_tree.nodes["Background"].inputs[1].default_value = 0.6
scene.render.engine = 'CYCLES'
scene.cycles.samples = 24
scene.cycles.use_denoising = False
scene.cycles.device = 'CPU'
scene.render.resolution_x = 560
scene.render.resolution_y = 480
scene.render.filepath = out
bpy.ops.render.render(write_still=True)
print("RENDERED", out)
