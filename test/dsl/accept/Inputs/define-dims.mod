model defines;
dim D = 64;
dim R = 4;
dim H = D / R;
param w: f32[D, H];
