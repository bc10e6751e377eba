from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('navportal', '0006_username_case_insensitive'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReferenceCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('series', models.CharField(max_length=4)),
                ('year', models.PositiveSmallIntegerField()),
                ('last', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('series', 'year'), name='one_reference_counter')],
            },
        ),
    ]
